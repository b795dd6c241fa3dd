import { beforeAll, describe, expect, it } from "vitest";
import { hostSnapshot, lab, realHostsUnavailable, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/**
 * The plain-namespace macvlan lab (bridge mode, two hosts) against real sshd in sandbox
 * hosts: up, pings, idempotent re-run, down restores every host exactly.
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED real-host tests: ${skip}`);

describe.skipIf(!!skip)("macvlan-netns lab in the sandbox", () => {
  const name = "t-netns";
  const { dir, file } = sandboxLab("labs/macvlan-netns.yaml", name);
  let before: Record<string, string>;

  beforeAll(() => {
    // The sandbox first, so the hosts can be photographed before the lab touches them.
    const made = lab(dir, "sandbox", "create", file);
    expect(made.code, made.stderr).toBe(0);
    before = { docker01: hostSnapshot(dir, name, "docker01"), docker02: hostSnapshot(dir, name, "docker02") };
  });

  it("goes up and its pings pass", () => {
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("checks: all 12 as expected");
    expect(r.stdout).toMatch(/docker01: 0 ok, 9 changed, 0 failed/);
    // Seen with OpenSSH, not through lab: the namespaces and a cross-host ping really work.
    expect(sshRun(dir, name, "docker01", "ls /run/netns").split(/\s+/)).toEqual(expect.arrayContaining(["ns1", "ns2"]));
    expect(
      sshRun(dir, name, "docker01", "ip netns exec ns1 ping -c 1 -W 1 10.20.0.14 >/dev/null && echo reply"),
    ).toContain("reply");
    expect(sshRun(dir, name, "docker02", "ip -o link show dev ens33")).toContain("PROMISC");
  });

  it("changes nothing on a second run, in two commands per host", () => {
    const r = lab(dir, "up", file, "--sandbox", "--no-check", "--stats");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("docker01: 9 ok, 0 changed, 0 failed, 0 skipped");
    expect(r.stdout).toContain("docker02: 9 ok, 0 changed, 0 failed, 0 skipped");
    expect(r.stdout).toContain("nothing to change");
    expect(r.stdout).toContain("docker01: 1 connection(s), 2 remote commands");
  });

  it("lab check passes, and fails with exit 1 when a link goes down", () => {
    expect(lab(dir, "check", file, "--sandbox").code).toBe(0);
    sshRun(dir, name, "docker02", "ip -n ns4 link set mv4 down");
    const r = lab(dir, "check", file, "--sandbox");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("docker01: check: ns1 → ns4 (10.20.0.14 on docker02): unreachable, expected reachable");
    expect(r.stdout).toMatch(/^ns1 +-  +✔  +✔  +✘/m);
    // lab up repairs it: only the one step that no longer holds runs.
    const repair = lab(dir, "up", file, "--sandbox");
    expect(repair.stdout).toContain("docker02: namespaces: bring mv4 up in ns4: changed");
    expect(repair.stdout).toContain("docker02: 8 ok, 1 changed");
    expect(repair.code).toBe(0);
  });

  it("lab down leaves every host as it was before", () => {
    const r = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("docker01: 9 undone, 0 failed");
    expect(hostSnapshot(dir, name, "docker01")).toBe(before.docker01);
    expect(hostSnapshot(dir, name, "docker02")).toBe(before.docker02);
    const again = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(again.stdout).toContain("docker01: nothing to undo");
  });

  it("lab down --sandbox removes the sandbox itself", () => {
    const r = lab(dir, "down", file, "--sandbox");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sandbox: removed .*netns lsb-t-netns-sw/);
  });
});
