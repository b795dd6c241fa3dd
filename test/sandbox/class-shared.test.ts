import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sshRun } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * Two students on the same two hosts (generate --shared): each gets a registry port, names
 * and a subnet of their own, both labs are built on one sandbox's hosts through its inventory,
 * and one student's `lab down` removes only that student's objects and only that student's
 * daemon.json entry, and leaves the NIC promiscuous for the other; whose lab is still graded as
 * expected.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED shared-class sandbox tests: ${skip}`);

// A registry (daemon.json entry, registry container) and namespaces with macvlan children on the
// NIC (many may share a parent, unlike Docker networks): what students sharing a host can each have.
const LAB = `name: t-cshare
defaults: { ssh: { user: root }, nic: ens33, persist: none }
hosts:
  docker01: { address: 192.168.1.11 }
  docker02: { address: 192.168.1.13 }
promisc: true
registry: { host: docker01, images: [busybox:latest] }
namespaces:
  ns1: { host: docker01, interfaces: { m1: { kind: macvlan, parent: ens33, address: 172.30.1.1/24 } } }
  ns2: { host: docker02, interfaces: { m1: { kind: macvlan, parent: ens33, address: 172.30.1.2/24 } } }
checks: { matrix: true }
`;

describe.skipIf(!!skip)("two students sharing two hosts", () => {
  const dir = scratchDir("t-cshare");
  const pool = join(dir, "pool.yaml");
  const inventory = join(dir, ".lab", "sandbox", "t-cpool", "inventory.json");
  const on = (host: string, command: string) => sshRun(dir, "t-cpool", host, command);

  beforeAll(() => {
    writeFileSync(join(dir, "lab.yaml"), LAB);
    // The shared hosts: a sandbox made for the same lab under another name.
    writeFileSync(pool, LAB.replace("name: t-cshare", "name: t-cpool"));
    writeFileSync(
      join(dir, "roster.csv"),
      "student,docker01,docker02\nAda,192.168.1.11,192.168.1.13\nAlan,192.168.1.11,192.168.1.13\n",
    );
    const made = lab(dir, "sandbox", "create", pool);
    expect(made.code, made.stderr).toBe(0);
  });

  afterAll(() => {
    lab(dir, "class", "down", "class", "--inventory", inventory);
    lab(dir, "sandbox", "destroy", pool);
  });

  it("generates non-overlapping labs and builds both on the same hosts", () => {
    const g = lab(
      dir,
      "class",
      "generate",
      "lab.yaml",
      "--roster",
      "roster.csv",
      "--out",
      "class",
      "--shared",
      "--subnet-pool",
      "10.77.0.0/16",
    );
    expect(g.code, g.stderr).toBe(0);
    const up = lab(dir, "class", "up", "class", "--inventory", inventory, "--parallel", "1");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain("Ada: as expected");
    expect(up.stdout).toContain("Alan: as expected");
    const registries = JSON.parse(on("docker01", "cat /etc/docker/daemon.json"))["insecure-registries"];
    expect(registries).toEqual(["192.168.1.11:5000", "192.168.1.11:5001"]);
  });

  it("one student's down removes only that student's objects and daemon.json entry", () => {
    const down = lab(dir, "down", "class/ada.yaml", "--inventory", inventory);
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(JSON.parse(on("docker01", "cat /etc/docker/daemon.json"))["insecure-registries"]).toEqual([
      "192.168.1.11:5001",
    ]);
    expect(on("docker01", "docker ps --format '{{.Names}}'").trim()).toBe("t-cshare-alan-registry");
    expect(on("docker01", "ls /run/netns").split(/\s+/).filter(Boolean)).toEqual(["ns1-alan"]);
    // Ada turned the shared NIC promiscuous first, but Alan needs it too: it stays on, and down says why.
    expect(on("docker01", "ip -o link show dev ens33")).toContain("PROMISC");
    expect(down.stdout).toContain(
      "docker01: put ens33 in promiscuous mode: left as it is, since lab t-cshare-alan also keeps state on this host",
    );
    const check = lab(dir, "class", "check", "class", "--inventory", inventory, "--json");
    expect(check.code).toBe(1);
    const statuses = JSON.parse(check.stdout).students.map((s: { student: string; status: string }) => [
      s.student,
      s.status,
    ]);
    expect(statuses).toEqual([
      ["Ada", "not as expected"],
      ["Alan", "as expected"],
    ]);
  });
});
