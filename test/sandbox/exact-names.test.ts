import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lab, realHostsUnavailable, sshRun } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * Two sandboxes whose lab names are prefixes of one another (t-x-al, t-x-al-2), in one
 * working directory: tearing down the first must leave every object of the second whole
 * (its namespaces, its running host, its files, its dockerd cgroups). No Docker: one host
 * each, and dockerd's cgroups stood in for by directories of the same names made here.
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED real-host tests: ${skip}`);

const netnsList = (): string[] =>
  execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);

describe.skipIf(!!skip)("sandboxes of labs named x-al and x-al-2", () => {
  const a = "t-x-al";
  const b = `${a}-2`;
  const dir = scratchDir(a);
  const fileA = join(dir, "a.yaml");
  const fileB = join(dir, "b.yaml");
  // What dockerd's --cgroup-parent=/lsb-<lab>-<host> leaves behind (cgroup v1: per controller, v2: one tree).
  const cgroupTrees = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"].filter((t) =>
    existsSync(join(t, "cgroup.procs")),
  );
  const cgroups = (labName: string) => cgroupTrees.map((t) => join(t, `lsb-${labName}-h1`));
  const labFile = (name: string) =>
    `name: ${name}\ndefaults:\n  ssh: { user: root }\n  nic: ens33\nhosts:\n  h1: { address: 192.168.1.11 }\n`;

  beforeAll(() => {
    writeFileSync(fileA, labFile(a));
    writeFileSync(fileB, labFile(b));
    for (const file of [fileA, fileB]) {
      const r = lab(dir, "sandbox", "create", file);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    for (const cgroup of [...cgroups(a), ...cgroups(b)]) mkdirSync(cgroup, { recursive: true });
  });

  afterAll(() => {
    lab(dir, "sandbox", "destroy", fileA);
    lab(dir, "sandbox", "destroy", fileB);
    for (const cgroup of [...cgroups(a), ...cgroups(b)]) if (existsSync(cgroup)) rmdirSync(cgroup);
  });

  it("tearing down x-al removes its objects and leaves x-al-2's whole", () => {
    expect(netnsList()).toEqual(
      expect.arrayContaining([`lsb-${a}-sw`, `lsb-${a}-h-h1`, `lsb-${b}-sw`, `lsb-${b}-h-h1`]),
    );
    const r = lab(dir, "sandbox", "destroy", fileA);
    expect(r.code, r.stderr).toBe(0);

    const after = netnsList();
    expect(after).not.toContain(`lsb-${a}-sw`);
    expect(after).not.toContain(`lsb-${a}-h-h1`);
    expect(after).toEqual(expect.arrayContaining([`lsb-${b}-sw`, `lsb-${b}-h-h1`]));
    for (const cgroup of cgroups(a)) expect(existsSync(cgroup), cgroup).toBe(false);
    for (const cgroup of cgroups(b)) expect(existsSync(cgroup), cgroup).toBe(true);
    expect(existsSync(join(dir, ".lab", "sandbox", a, "state.json"))).toBe(false);
    expect(existsSync(join(dir, ".lab", "sandbox", b, "state.json"))).toBe(true);
    // x-al-2's host still runs and answers over SSH (its sshd, its namespace, its keys).
    expect(lab(dir, "sandbox", "status", fileB).stdout).toContain(`sandbox ${b}: running`);
    expect(sshRun(dir, b, "h1", "hostname").trim()).toBe("h1");
    expect(r.stdout).toContain(`netns lsb-${a}-sw`);
    expect(r.stdout).not.toContain(b);
  });

  it("then tearing down x-al-2 removes its own", () => {
    const r = lab(dir, "sandbox", "destroy", fileB);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`netns lsb-${b}-h-h1`);
    expect(netnsList().filter((ns) => ns.startsWith(`lsb-${a}`))).toEqual([]);
    for (const cgroup of cgroups(b)) expect(existsSync(cgroup), cgroup).toBe(false);
    expect(lab(dir, "sandbox", "status", fileB).stdout).toContain(`sandbox: none for ${b}`);
  });
});
