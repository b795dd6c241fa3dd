import { execFileSync, spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labWithin, scratchLab, SNAPSHOT_COMMAND, sshVia } from "../helpers/real-hosts.js";

/**
 * The VM tier: real Debian kernels under QEMU (software emulation), where 802.1q, ipvlan and
 * Docker's trunk mode exist. The lab files are the ones users run; `--inventory` points lab
 * at the VMs. Run with `npm run test:vm` (root; builds or reuses the cached image).
 */
const repo = resolve(import.meta.dirname, "..", "..");
const vmDir = process.env.LAB_VM_DIR ?? "/tmp/lab-vm";
const inventory = join(vmDir, "inventory.json");
const MINUTES = 60_000;
// The scripts install what they need (qemu, debootstrap) from Debian's archive.
const skip = process.getuid?.() !== 0 ? "needs root (QEMU VMs on a bridge in a network namespace)" : undefined;
if (skip) console.log(`SKIPPED VM tier: ${skip}`);

const timed = <T>(what: string, run: () => T): T => {
  const started = Date.now();
  const result = run();
  console.log(`vm tier: ${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
};
const on = (host: string, command: string) => sshVia(inventory, host, command, 5 * MINUTES);
// Running containers leaves kernel traces lab did not make and cannot undo (docker0 keeps an
// IPv6 link-local address; Docker loads macvlan): those lines are left out of the comparison.
const snapshot = (host: string) =>
  on(
    host,
    `{ ${SNAPSHOT_COMMAND}; } | grep -v '^docker0 inet6 fe80'; lsmod | awk '{print $1}' | grep -E '^(8021q|ipvlan)$' | sort; docker ps -aq | wc -l; docker network ls -q | wc -l`,
  );

describe.skipIf(!!skip)("VM tier: real kernels", () => {
  beforeAll(() => {
    timed("build or reuse the image", () =>
      execFileSync("bash", [join(repo, "scripts/vm/build-image.sh")], { stdio: "inherit", timeout: 30 * MINUTES }),
    );
    timed("boot 2 VMs to ssh + docker ready", () =>
      execFileSync("bash", [join(repo, "scripts/vm/up.sh"), "docker01:192.168.1.11", "docker02:192.168.1.13"], {
        stdio: "inherit",
        timeout: 20 * MINUTES,
      }),
    );
  }, 50 * MINUTES);
  afterAll(() => {
    execFileSync("bash", [join(repo, "scripts/vm/down.sh")], { stdio: "inherit", timeout: 5 * MINUTES });
  }, 5 * MINUTES);

  const run = (what: string, dir: string, ...args: string[]) =>
    timed(what, () => labWithin(30 * MINUTES, dir, ...args, "--inventory", inventory));

  it(
    "two-host-vlan: real 802.1q, ifcfg files, macvlan on VLAN parents, registry, checks; idempotent; down restores",
    () => {
      const { dir, file } = scratchLab("labs/two-host-vlan.yaml", "two-host-vlan");
      const before = { docker01: snapshot("docker01"), docker02: snapshot("docker02") };
      const up = run("two-host-vlan: lab up", dir, "up", file);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect(up.stdout).toContain("docker01: kernel: load kernel module 8021q: changed");
      expect(up.stdout).toContain("checks: all 12 as expected");
      for (const host of ["docker01", "docker02"]) {
        expect(on(host, "ip -d link show dev ens33.10")).toMatch(/vlan protocol 802\.1Q id 10 /);
        expect(on(host, "ip -d link show dev ens33.20")).toMatch(/vlan protocol 802\.1Q id 20 /);
        expect(on(host, "cat /etc/sysconfig/network-scripts/ifcfg-ens33.10")).toContain(
          "DEVICE=ens33.10\nBOOTPROTO=none\nONBOOT=yes\n",
        );
        expect(on(host, "ip -o link show dev ens33")).toContain("PROMISC");
      }
      expect(on("docker02", "docker image inspect -f '{{.RepoTags}}' 192.168.1.11:5000/busybox:latest")).toContain(
        "192.168.1.11:5000/busybox:latest",
      );
      const again = run("two-host-vlan: second lab up", dir, "up", file, "--no-check");
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain("nothing to change");

      // The proof, pair by pair: the same VLAN reaches across hosts, another VLAN does not.
      const proof = run("two-host-vlan: lab check --json", dir, "check", file, "--json");
      expect(proof.code, proof.stdout + proof.stderr).toBe(0);
      const results = JSON.parse(proof.stdout).results as { from: string; to: string; result: string }[];
      const result = (from: string, to: string) => results.find((x) => x.from === from && x.to === to)?.result;
      expect(result("bbox10", "bbox11")).toBe("reachable");
      expect(result("bbox21", "bbox20")).toBe("reachable");
      expect(result("bbox10", "bbox21")).toBe("unreachable");
      expect(result("bbox11", "bbox20")).toBe("unreachable");

      // A network change: VLAN 10 goes down on docker02. The check names what broke (exit 1);
      // lab up repairs only that step; the check passes again.
      on("docker02", "ip link set dev ens33.10 down");
      const broken = run("two-host-vlan: lab check after ens33.10 went down", dir, "check", file, "--json");
      expect(broken.code, broken.stderr).toBe(1);
      const failed = (JSON.parse(broken.stdout).results as { from: string; to: string; asExpected: boolean }[]).filter(
        (x) => !x.asExpected,
      );
      expect(failed.map((x) => `${x.from}>${x.to}`).sort()).toEqual(["bbox10>bbox11", "bbox11>bbox10"]);
      const repair = run("two-host-vlan: lab up repairs", dir, "up", file);
      expect(repair.code, repair.stdout + repair.stderr).toBe(0);
      expect(repair.stdout).toContain("docker02: interfaces: bring ens33.10 up: changed");
      expect(repair.stdout).toMatch(/^docker02: \d+ ok, 1 changed, 0 failed/m);
      expect(repair.stdout).toMatch(/^docker01: \d+ ok, 0 changed, 0 failed/m);
      expect(repair.stdout).toContain("checks: all 12 as expected");
      const down = run("two-host-vlan: lab down", dir, "down", file);
      expect(down.code, down.stderr).toBe(0);
      expect(snapshot("docker01")).toBe(before.docker01);
      expect(snapshot("docker02")).toBe(before.docker02);
    },
    60 * MINUTES,
  );

  it(
    "vlan-isolation: one subnet, two VLANs: only the same VLAN answers",
    () => {
      const { dir, file } = scratchLab("labs/vlan-isolation.yaml", "vlan-isolation");
      const up = run("vlan-isolation: lab up", dir, "up", file);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect(up.stdout).toContain("checks: all 6 as expected");
      expect(run("vlan-isolation: lab down", dir, "down", file).code).toBe(0);
    },
    30 * MINUTES,
  );

  it(
    "ipvlan-l2-l3: l2 across hosts, l3 on one host only, the l3 parent routes between subnets (containers and namespaces)",
    () => {
      const { dir, file } = scratchLab("labs/ipvlan-l2-l3.yaml", "ipvlan-l2-l3");
      const up = run("ipvlan-l2-l3: lab up", dir, "up", file);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      const check = JSON.parse(run("ipvlan-l2-l3: lab check", dir, "check", file, "--json").stdout);
      const result = (from: string, to: string) =>
        check.results.find((x: { from: string; to: string }) => x.from === from && x.to === to)?.result;
      expect(result("l2a", "l2b")).toBe("reachable");
      expect(result("l3a", "l3b")).toBe("reachable");
      expect(result("l3a", "l3c")).toBe("unreachable");
      expect(result("l3a", "l3d")).toBe("reachable");
      expect(result("l2a", "l2c")).toBe("unreachable");
      expect(result("n2a", "n2b")).toBe("reachable");
      expect(result("n3a", "n3b")).toBe("reachable");
      expect(check.ok, JSON.stringify(check.results.filter((x: { asExpected: boolean }) => !x.asExpected))).toBe(true);
      expect(
        on("docker01", "docker network inspect -f '{{.Driver}} {{index .Options \"ipvlan_mode\"}}' ipv_l3").trim(),
      ).toBe("ipvlan l3");
      expect(run("ipvlan-l2-l3: lab down", dir, "down", file).code).toBe(0);
    },
    30 * MINUTES,
  );

  it(
    "docker-trunk: Docker makes ens33.50 and removes it with the network",
    () => {
      const { dir, file } = scratchLab("labs/docker-trunk.yaml", "docker-trunk");
      const up = run("docker-trunk: lab up", dir, "up", file);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      expect(up.stdout).toContain("checks: all 2 as expected");
      expect(on("docker01", "ip -d link show dev ens33.50")).toMatch(/vlan protocol 802\.1Q id 50 /);
      expect(run("docker-trunk: lab down", dir, "down", file).code).toBe(0);
      expect(on("docker01", "ip link show dev ens33.50 2>&1 || true")).toContain("does not exist");
    },
    30 * MINUTES,
  );

  // Last: the handouts leave no lab state behind, so nothing after this could take them down.
  it(
    "two-host-vlan handouts typed on the VMs, both at once (docker02 waits for docker01's push): lab check passes",
    async () => {
      const { dir, file } = scratchLab("labs/two-host-vlan.yaml", "two-host-vlan");
      const script = (host: string) => {
        const r = labWithin(MINUTES, dir, "plan", file, "--format", "sh", "--host", host, "--os", "debian");
        expect(r.code, r.stderr).toBe(0);
        return r.stdout;
      };
      const config = join(vmDir, "lvm-ssh_config");
      const typed = (host: string) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn("ssh", ["-F", config, "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", host, "sh -s"]);
          let out = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.stderr.on("data", (d: Buffer) => (out += d.toString()));
          child.on("close", (code) => resolve({ code, out }));
          child.stdin.end(script(host));
        });
      const [second, first] = await Promise.all([typed("docker02"), typed("docker01")]);
      expect(first.code, first.out).toBe(0);
      expect(second.code, second.out).toBe(0);
      const proof = run("two-host-vlan handouts: lab check", dir, "check", file);
      expect(proof.code, proof.stdout + proof.stderr).toBe(0);
    },
    30 * MINUTES,
  );
});
