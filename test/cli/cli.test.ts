import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDir } from "../helpers/scratch-dir.js";

/** The real CLI in a child process: exit codes, streams and files as a user sees them. */
function lab(...args: string[]) {
  const r = spawnSync("node_modules/.bin/tsx", ["src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const samples = readdirSync("labs")
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => `labs/${f}`);

describe("lab validate", () => {
  it("accepts every sample lab (exit 0)", () => {
    const r = lab("validate", ...samples);
    expect(r.code).toBe(0);
    for (const f of samples) expect(r.stdout).toContain(`${f}: valid`);
    expect(r.stderr).toBe("");
  });

  it("reports every error as file:line:col and exits 1", () => {
    const file = join(scratchDir("cli"), "bad.yaml");
    const text = readFileSync("labs/two-host-vlan.yaml", "utf8")
      .replace("ip: 172.16.10.11", "ip: 172.16.10.10")
      .replace("promisc: true", "promiscuous: true");
    writeFileSync(file, text);
    const r = lab("validate", file);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    // A schema error and a semantic error, both reported in one run.
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${file}:15:1: unknown key 'promiscuous'.*did you mean 'promisc'`)),
    );
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${file}:\\d+:\\d+: .*172.16.10.10 is used twice`)));
    expect(r.stderr).toMatch(/invalid, \d+ errors?/);
  });

  it("prints one JSON document with --json", () => {
    const r = lab("validate", "--json", "labs/single-network.yaml");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      files: [{ file: "labs/single-network.yaml", ok: true, issues: [] }],
    });
  });

  it("exits 2 for a missing file or an unknown flag", () => {
    const missing = lab("validate", "labs/nope.yaml");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read labs/nope.yaml");
    expect(lab("validate", "--colour", "labs/single-network.yaml").code).toBe(2);
    expect(lab("frobnicate").code).toBe(2);
  });
});

describe("lab plan", () => {
  // 16 runs of the CLI: more than the default 30 s on a busy machine.
  it("writes one shell script per host that sh accepts", { timeout: 120_000 }, () => {
    for (const file of samples) {
      for (const os of ["rhel", "debian"]) {
        const dir = scratchDir("plan");
        const r = lab("plan", file, "--format", "sh", "--out-dir", dir, "--os", os);
        expect(r.code, r.stderr).toBe(0);
        const scripts = readdirSync(dir);
        expect(scripts.sort()).toEqual(["docker01.sh", "docker02.sh"]);
        for (const s of scripts) execFileSync("sh", ["-n", join(dir, s)]);
      }
    }
  });

  it("shows one host's listing with --host, and suggests a name for a typo", () => {
    const r = lab("plan", "labs/two-host-vlan.yaml", "--host", "docker02");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("docker02 (192.168.1.13");
    expect(r.stdout).not.toContain("docker01 (192.168.1.11");
    const typo = lab("plan", "labs/two-host-vlan.yaml", "--host", "docker2");
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean 'docker02'");
  });

  it("prints the plan as JSON", () => {
    const r = lab("plan", "labs/macvlan-netns.yaml", "--format", "json");
    const plan = JSON.parse(r.stdout);
    expect(plan.hosts.map((h: { host: string }) => h.host)).toEqual(["docker01", "docker02"]);
    expect(plan.hosts[0].steps.map((s: { id: string }) => s.id)).toContain("netns:ns1");
  });

  it("refuses an invalid lab with exit 1 and prints nothing on stdout", () => {
    const file = join(scratchDir("cli"), "bad.yaml");
    writeFileSync(file, "name: x\nhosts:\n  h1: { address: 10.0.0.300 }\n");
    const r = lab("plan", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`${file}:3:\\d+: '10.0.0.300': expected an IP address`));
  });
});

describe("lab schema and help", () => {
  it("writes the committed JSON Schema", () => {
    const out = join(scratchDir("schema"), "s.json");
    expect(lab("schema", "-o", out).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(readFileSync("schema/lab.schema.json", "utf8"));
    expect(JSON.parse(readFileSync(out, "utf8")).$schema).toBe("http://json-schema.org/draft-07/schema#");
  });

  it("teaches in --help", () => {
    const r = lab("--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Exit codes");
    expect(r.stdout).toMatch(/\b70 internal error \(a bug in lab/);
    expect(lab("plan", "--help").stdout).toContain("--format sh");
  });
});

describe("lab graph", () => {
  it("prints Mermaid by default, writes DOT with -o, refuses an unknown format (exit 2) and an invalid lab (exit 1)", () => {
    const mermaid = lab("graph", "labs/two-host-vlan.yaml");
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(mermaid.stdout).toMatch(/^---\ntitle: "two-host-vlan"\n---\nflowchart BT\n/);
    const out = join(scratchDir("graph"), "lab.dot");
    expect(lab("graph", "labs/two-host-vlan.yaml", "--format", "dot", "-o", out).code).toBe(0);
    expect(readFileSync(out, "utf8")).toMatch(/^graph "two-host-vlan" \{\n/);
    const bad = lab("graph", "labs/two-host-vlan.yaml", "--format", "png");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Allowed choices are mermaid, dot, svg");
    const file = join(scratchDir("graph"), "bad.yaml");
    writeFileSync(file, "name: x\nhosts:\n  h1: { address: 10.0.0.300 }\n");
    const invalid = lab("graph", file);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe("");
  });

  it("writes SVG with -o, drawn in-process (no system Graphviz)", () => {
    const out = join(scratchDir("graph"), "out.svg");
    const r = lab("graph", "labs/two-host-vlan.yaml", "--format", "svg", "-o", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const svg = readFileSync(out, "utf8");
    expect(svg).toMatch(/^<\?xml /);
    expect(svg).toContain("</svg>");
    expect(svg).toContain(">bbox21</text>");
  });
});
