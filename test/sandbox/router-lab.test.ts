import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/**
 * Two VLANs reach each other only through a router (labs/vlan-router.yaml): the checks pass
 * with the router forwarding, and with its forwarding turned off on the host, lab check fails
 * exactly the routed pairs. Run on VLAN stand-ins (this kernel has no 802.1q; separate layer-2
 * domains, no tagging), so nothing here claims to prove 802.1q.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED router lab test: ${skip}`);

interface Result {
  from: string;
  to: string;
  result: string;
  asExpected: boolean;
  reason: string;
}

describe.skipIf(!!skip)("vlan-router lab", () => {
  const name = "t-router";
  const { dir, file } = sandboxLab("labs/vlan-router.yaml", name);
  const check = () => {
    const r = lab(dir, "check", file, "--sandbox", "--json");
    return { code: r.code, results: (JSON.parse(r.stdout) as { results: Result[] }).results };
  };

  it("reaches across VLANs through r, and only through r", () => {
    const up = lab(dir, "up", file, "--sandbox", "--vlan-standin");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain("docker01: namespaces: r forwards between its interfaces (a router): changed");
    expect(up.stdout).toContain("checks: all 12 as expected");
    const routed = check().results.filter((x) => x.reason.startsWith("routed by r"));
    expect(routed).toHaveLength(8);

    sshRun(dir, name, "docker01", "ip netns exec r sysctl -qw net.ipv4.ip_forward=0");
    const off = check();
    expect(off.code).toBe(1);
    const failed = off.results.filter((x) => !x.asExpected);
    expect(failed.map((x) => `${x.from}>${x.to}`).sort()).toEqual(routed.map((x) => `${x.from}>${x.to}`).sort());
    expect(failed.every((x) => x.result === "unreachable")).toBe(true);

    // lab up puts the router back (its step's check fails), and the proof passes again.
    const again = lab(dir, "up", file, "--sandbox", "--vlan-standin");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("r forwards between its interfaces (a router): changed");
    expect(check().code).toBe(0);
  });
});
