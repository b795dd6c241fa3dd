import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lab, realHostsUnavailable, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/**
 * The macvlan modes side by side (labs/macvlan-modes.yaml), proven by the lab's own checks on
 * real kernels' macvlan in the sandbox: bridge siblings talk, private and vepa siblings do not,
 * and both still reach across the LAN; passthru on a VLAN of its own (a stand-in here: this
 * kernel has no 802.1q, so nothing here proves tagging). And passthru on the interface the SSH
 * session runs over is refused at preflight, before anything changes.
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED macvlan modes tests: ${skip}`);

describe.skipIf(!!skip)("macvlan-modes lab", () => {
  const { dir, file } = sandboxLab("labs/macvlan-modes.yaml", "t-modes");

  it("every pair answers as its mode says", () => {
    const r = lab(dir, "up", file, "--sandbox", "--vlan-standin");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("checks: all 132 as expected");
  });
});

describe.skipIf(!!skip)("passthru on the NIC the SSH session runs over", () => {
  const name = "t-passthru";
  const { dir, file } = sandboxLab("labs/macvlan-modes.yaml", name, (text) =>
    text
      .replace("modules: [8021q]\n", "")
      .replace("vlans:\n  40: {}\n", "")
      .replace(/^namespaces:\n[\s\S]*?^checks:\n[\s\S]*$/m, "")
      .concat(
        "namespaces:\n  t1: { host: docker01, interfaces: { mvt1: { kind: macvlan, parent: ens33, mode: passthru, address: 10.40.0.1/24 } } }\n",
        "checks: { matrix: false }\n",
      ),
  );

  it("is refused at preflight, naming the interface and the session's address; nothing changes", () => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    // SSH to docker01 by its lab address, as on a real host: sshd's end of the session is on ens33.
    const sandbox = JSON.parse(readFileSync(join(dir, ".lab", "sandbox", name, "inventory.json"), "utf8")) as {
      hosts: Record<string, { proxy_command: string[] }>;
    };
    const inventory = join(dir, "over-the-nic.json");
    const address = { docker01: "192.168.1.11", docker02: "192.168.1.13" };
    for (const [host, entry] of Object.entries(sandbox.hosts))
      entry.proxy_command = entry.proxy_command.map((w) =>
        w.replace("TCP:127.0.0.1:22", `TCP:${address[host as keyof typeof address]}:22`),
      );
    writeFileSync(inventory, JSON.stringify(sandbox));
    const r = lab(dir, "up", file, "--inventory", inventory, "--no-check");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toContain(
      "mode passthru on ens33 would hand that interface to one child, and this SSH session runs over it (sshd on 192.168.1.11)",
    );
    expect(sshRun(dir, name, "docker01", "ls /run/netns 2>/dev/null | grep -c '^t1$' || true").trim()).toBe("0");
    // Over the sandbox's own path (the host's loopback, not ens33) the same lab runs.
    const ok = lab(dir, "up", file, "--sandbox", "--no-check");
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(sshRun(dir, name, "docker01", "ip netns exec t1 ip -d link show mvt1")).toContain("macvlan mode passthru");
    expect(lab(dir, "down", file, "--sandbox", "--keep-sandbox").code).toBe(0);
  });
});
