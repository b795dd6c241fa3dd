import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab } from "../helpers/real-hosts.js";

/**
 * labs/dual-stack.yaml in the sandbox: one macvlan network with IPv4 and IPv6 on real dockerd;
 * the check pings both families, and an IPv6-only fault shows up as exactly the IPv6 pairs.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED dual-stack sandbox tests: ${skip}`);

interface CheckJson {
  ok: boolean;
  results: { from: string; to: string; address: string; result: string; asExpected: boolean }[];
}

describe.skipIf(!!skip)("dual-stack lab with real dockerd", () => {
  const name = "t-dual";
  const { dir, file, on } = sandboxLab("labs/dual-stack.yaml", name);

  it("goes up with an IPv6 network and both families reach across hosts", () => {
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("checks: all 4 as expected");
    expect(r.stdout).toMatch(/^IPv6\nfrom \\ to +bbox1 +bbox2\nbbox1 +- +✔\nbbox2 +✔ +-$/m);
    expect(on("docker01", "docker network inspect -f '{{.EnableIPv6}}' mac_ds").trim()).toBe("true");
    expect(on("docker02", "docker exec bbox2 ip -6 -o addr show dev eth0")).toContain("fd00:22:30::11/64");
    const check = JSON.parse(lab(dir, "check", file, "--sandbox", "--json").stdout) as CheckJson;
    expect(check.results.map((x) => `${x.from}>${x.address}:${x.result}`).sort()).toEqual([
      "bbox1>172.22.30.11:reachable",
      "bbox1>fd00:22:30::11:reachable",
      "bbox2>172.22.30.10:reachable",
      "bbox2>fd00:22:30::10:reachable",
    ]);
    // A first up that makes the sandbox (two dockerd): 18 s alone here, more on a busy machine.
  }, 90_000);

  it("an IPv6-only fault fails exactly the IPv6 pairs (exit 1), IPv4 still passes", () => {
    on(
      "docker02",
      "nsenter -t $(docker inspect -f '{{.State.Pid}}' bbox2) -n ip -6 addr del fd00:22:30::11/64 dev eth0",
    );
    const r = lab(dir, "check", file, "--sandbox", "--json");
    expect(r.code).toBe(1);
    const failed = (JSON.parse(r.stdout) as CheckJson).results.filter((x) => !x.asExpected);
    expect(failed.map((x) => `${x.from}>${x.to} ${x.address}`).sort()).toEqual([
      "bbox1>bbox2 fd00:22:30::11",
      "bbox2>bbox1 fd00:22:30::10",
    ]);
  });

  it("lab down removes the network and containers", () => {
    const r = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const host of ["docker01", "docker02"]) {
      expect(
        on(host, "docker ps -aq | wc -l; docker network ls -q -f name=mac_ds | wc -l").split(/\s+/).filter(Boolean),
      ).toEqual(["0", "0"]);
    }
  });
});
