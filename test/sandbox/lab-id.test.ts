import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { lab, realHostsUnavailable, sandboxLab } from "../helpers/real-hosts.js";

/**
 * Two labs with one name on the same hosts, with real sshd: the lab id written into the lab
 * file keeps them apart. An edited lab file is still the same lab; another one is refused.
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED lab id tests: ${skip}`);
vi.setConfig({ hookTimeout: 60_000 });

describe.skipIf(!!skip)("the lab id on real hosts", { timeout: 120_000 }, () => {
  const name = "t-labid";
  // A lab file as a user writes it: no id.
  const { dir, file, on } = sandboxLab("labs/macvlan-netns.yaml", name, (t) => t.replace(/^id: .*\n/m, ""));
  const other = join(dir, "other.yaml");
  const hostView = (host: string) =>
    on(host, `cat /var/lib/lab/${name}.json 2>&1; ls /run/netns 2>&1; ip -o link show | cut -d' ' -f2 | sort`);
  let id = "";

  beforeAll(() => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
  }, 60_000);

  it("a lab file without an id gets one from its first lab up, under name:, and the hosts record it", () => {
    const before = readFileSync(file, "utf8");
    const r = lab(dir, "up", file, "--sandbox", "--no-check");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const after = readFileSync(file, "utf8");
    id = /^id: ([a-z][a-z0-9]{11})$/m.exec(after)![1]!;
    expect(after).toBe(before.replace(`name: ${name}\n`, `name: ${name}\nid: ${id}\n`));
    expect(r.stdout).toContain(
      `${file}: wrote \`id: ${id}\` under name: (it keeps this lab apart from other labs named ${name} on the same hosts)`,
    );
    expect(JSON.parse(on("docker01", `cat /var/lib/lab/${name}.json`))).toMatchObject({ lab: name, id, version: 3 });
    // A second up keeps the id and changes nothing.
    const again = lab(dir, "up", file, "--sandbox", "--no-check");
    expect(again.stdout).toContain("nothing to change");
    expect(readFileSync(file, "utf8")).toBe(after);
  });

  it("another lab with the same name (another id) is refused on every host, and neither up nor down changes anything", () => {
    writeFileSync(
      other,
      readFileSync(file, "utf8").replace(`id: ${id}`, "id: another-lab-1").replace("10.20.0.14/24", "10.20.0.24/24"),
    );
    const before = ["docker01", "docker02"].map(hostView);
    const up = lab(dir, "up", other, "--sandbox", "--no-check");
    expect(up.code, up.stdout + up.stderr).toBe(1);
    expect(up.stderr).toMatch(
      new RegExp(
        `docker0[12]: another lab named ${name} is on this host \\(id ${id}; this lab file has id another-lab-1\\); nothing was run on this host`,
      ),
    );
    const down = lab(dir, "down", other, "--sandbox");
    expect(down.code, down.stdout + down.stderr).toBe(1);
    for (const host of ["docker01", "docker02"]) {
      expect(down.stdout).toContain(`${host}: nothing undone (see below)`);
      expect(down.stderr).toContain(
        `${host}: another lab named ${name} is on this host (id ${id}; this lab file has id another-lab-1)`,
      );
    }
    // The sandbox hosts hold the other lab: they stay.
    expect(down.stdout).toContain("sandbox: kept, since a host refused its state");
    expect(["docker01", "docker02"].map(hostView)).toEqual(before);
  });

  it("a copy without the id is told which id to add; the edited lab file (same id) is the same lab and lab down undoes it all", () => {
    const noId = join(dir, "no-id.yaml");
    writeFileSync(noId, readFileSync(file, "utf8").replace(`id: ${id}\n`, ""));
    const refused = lab(dir, "down", noId, "--sandbox", "--keep-sandbox");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `docker01: the lab ${name} on this host has id ${id} and this lab file has none; nothing was run on this host. If it is that lab, add \`id: ${id}\` under name: in the lab file`,
    );
    expect(on("docker01", "ls /run/netns | sort").trim().split("\n")).toEqual(["ns1", "ns2"]);

    // Edited (another description): still this lab.
    writeFileSync(file, readFileSync(file, "utf8").replace(/^description: >\n( {2}.*\n)+/m, "description: edited\n"));
    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.code, down.stdout + down.stderr).toBe(0);
    for (const host of ["docker01", "docker02"]) {
      expect(on(host, `[ -e /var/lib/lab/${name}.json ] && echo recorded || echo gone`).trim()).toBe("gone");
      expect(on(host, "ls /run/netns 2>/dev/null | wc -l").trim()).toBe("0");
    }
  });
});
