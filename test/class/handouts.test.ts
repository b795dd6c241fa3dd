import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { removeScratchDirs, scratchDir } from "../helpers/scratch-dir.js";

afterAll(removeScratchDirs);

describe("lab class handouts", () => {
  it("writes per student the plan per host, the topology as SVG and one page; a student's name stays text", async () => {
    const dir = scratchDir("class-handouts");
    const roster = join(dir, "roster.csv");
    writeFileSync(
      roster,
      'student,docker01,docker02\n"<img src=x onerror=alert(1)>",10.0.1.11,10.0.1.12\nBob *bold* [x](javascript:1) `c`,10.0.2.11,10.0.2.12\n',
    );
    const out = join(dir, "class");
    expect(await runCli(["class", "generate", "labs/two-host-vlan.yaml", "--roster", roster, "--out", out])).toBe(0);
    const handouts = join(dir, "handouts");
    expect(await runCli(["class", "handouts", out, "--out", handouts])).toBe(0);
    const students = readdirSync(handouts).sort();
    expect(students).toHaveLength(2);
    for (const s of students) {
      expect(readdirSync(join(handouts, s)).sort()).toEqual([
        "docker01.sh",
        "docker02.sh",
        "index.html",
        "index.md",
        "topology.svg",
      ]);
      expect(statSync(join(handouts, s, "docker01.sh")).mode & 0o111).not.toBe(0);
      expect(readFileSync(join(handouts, s, "topology.svg"), "utf8")).toContain("</svg>");
    }
    const img = students.find((s) => s.startsWith("img"))!;
    const page = readFileSync(join(handouts, img, "index.html"), "utf8");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).not.toContain("<img");
    expect(page).toContain("Content-Security-Policy");
    expect(page).toContain("10.0.1.11");
    expect(page).toContain("ip link add link ens33 name ens33.10 type vlan id 10");
    const bob = students.find((s) => s.startsWith("bob"))!;
    const md = readFileSync(join(handouts, bob, "index.md"), "utf8");
    expect(md).toContain("Bob \\*bold\\* \\[x\\](javascript:1) \\`c\\`");
    expect(md).toContain("![topology](topology.svg)");
  });

  it("with --shared, the page says the student's own VLANs, networks and addresses", async () => {
    const dir = scratchDir("class-handouts-shared");
    const roster = join(dir, "roster.csv");
    writeFileSync(roster, "student,docker01,docker02\nAda,10.0.1.11,10.0.1.12\nAlan,10.0.1.11,10.0.1.12\n");
    const out = join(dir, "class");
    expect(
      await runCli(["class", "generate", "labs/two-host-vlan.yaml", "--roster", roster, "--out", out, "--shared"]),
    ).toBe(0);
    expect(readFileSync(join(out, "alan.yaml"), "utf8")).toMatch(
      /# Shared hosts: here VLAN 10 is 102, VLAN 20 is 103, 172\.16\.10\.0\/24 is 10\.200\.\d+\.0\/24/,
    );
    expect(await runCli(["class", "handouts", out, "--out", join(dir, "h")])).toBe(0);
    const page = readFileSync(join(dir, "h", "alan", "index.html"), "utf8");
    expect(page).toContain("Your VLANs, networks and addresses");
    expect(page).toContain("VLAN 102: docker01 10.200.");
    expect(page).toContain("network mac_net10-alan (macvlan on ens33.102)");
    expect(page).toContain("registry on docker01: 10.0.1.11:5001");
  });
});
