import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/** The classic limitation, shown for real: a host reaches its own macvlan container only through a shim. */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED host shim test: ${skip}`);

describe.skipIf(!!skip)("macvlan-host-shim lab", () => {
  const name = "t-shim";
  const { dir, file } = sandboxLab("labs/macvlan-host-shim.yaml", name);

  it("docker01 reaches its own container through the shim; docker02, without one, cannot", () => {
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("docker01: networks: host shim lab-shim 172.22.16.250/32 on ens33: changed");
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
