import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/**
 * The classic macvlan limitation, stated in the labs' own checks and proven on real dockerd:
 * a host cannot reach its own macvlan container (the parent never talks to its children), a
 * shim fixes it, and a host with no address or route toward the containers reaches none of
 * them for another reason (no route), which the expectation names.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED host endpoint tests: ${skip}`);

interface Result {
  from: string;
  to: string;
  expect: string;
  result: string;
  asExpected: boolean;
  reason: string;
}
const checkResults = (dir: string, file: string): Result[] => {
  const r = lab(dir, "check", file, "--sandbox", "--json");
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { results: Result[] }).results;
};
const find = (results: Result[], from: string, to: string) => results.find((x) => x.from === from && x.to === to)!;

describe.skipIf(!!skip)("macvlan-host-shim lab", () => {
  const name = "t-shim";
  const { dir, file } = sandboxLab("labs/macvlan-host-shim.yaml", name);

  it("its checks, hosts included, pass: docker01 reaches its containers through the shim; docker02 has no route", () => {
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("docker01: networks: host shim lab-shim 172.22.16.250/32 on ens33: changed");
    expect(r.stdout).toContain("checks: all 12 as expected");
    const results = checkResults(dir, file);
    expect(find(results, "docker01", "bbox1")).toMatchObject({ result: "reachable", asExpected: true });
    expect(find(results, "docker02", "bbox2")).toMatchObject({ result: "unreachable", asExpected: true });
    expect(find(results, "docker02", "bbox2").reason).toMatch(/^no route: docker02 has no address/);
    // The same by hand, as a student would try it.
    const ping = (host: string, ip: string) =>
      sshRun(dir, name, host, `ping -c 1 -W 1 ${ip} >/dev/null 2>&1 && echo reply || echo none`).trim();
    expect(ping("docker01", "172.22.16.10")).toBe("reply");
    expect(ping("docker02", "172.22.16.11")).toBe("none");
    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.code).toBe(0);
    expect(sshRun(dir, name, "docker01", "ip -o link show lab-shim 2>&1; ip route show 172.22.16.0/28")).toContain(
      "does not exist",
    );
  });
});

describe.skipIf(!!skip)("macvlan-host-lan lab: containers in the hosts' own LAN subnet", () => {
  const { dir, file } = sandboxLab("labs/macvlan-host-lan.yaml", "t-hostlan");

  it("a host cannot reach its own macvlan container but reaches the other host's; the shim makes its own reachable", () => {
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/checks: all \d+ as expected/);
    const results = checkResults(dir, file);
    expect(results.every((x) => x.asExpected)).toBe(true);
    const own = find(results, "docker01", "c1");
    expect(own).toMatchObject({ result: "unreachable", expect: "unreachable" });
    expect(own.reason).toMatch(/^a macvlan parent cannot reach its children/);
    expect(find(results, "docker01", "c2")).toMatchObject({ result: "reachable", expect: "reachable" });
    expect(find(results, "docker02", "c2")).toMatchObject({ result: "reachable", expect: "reachable" });
    expect(find(results, "docker02", "c2").reason).toMatch(/shim/);
    expect(find(results, "c1", "docker01")).toMatchObject({ result: "unreachable", expect: "unreachable" });
    expect(find(results, "c2", "docker02")).toMatchObject({ result: "reachable", expect: "reachable" });
  });
});
