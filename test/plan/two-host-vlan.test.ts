import { undoActions } from "../../src/plan/undo.js";
import { beforeAll, describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { HostPlan, Step } from "../../src/plan/types.js";
import { validateFile } from "../../src/labfile/validate.js";

/** The classic exercise, as the issue states it: what docker01's and docker02's plans must show. */
let docker01: HostPlan;
let docker02: HostPlan;
const commands = (h: HostPlan) =>
  h.steps.flatMap((s) => s.actions.flatMap((a) => (a.kind === "run" ? [a.command] : [])));
const step = (h: HostPlan, id: string): Step => {
  const found = h.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} on ${h.host}; have ${h.steps.map((s) => s.id).join(", ")}`);
  return found;
};

beforeAll(async () => {
  const result = await validateFile("labs/two-host-vlan.yaml");
  expect(result.ok).toBe(true);
  const plan = buildPlan(result.lab!);
  [docker01, docker02] = plan.hosts as [HostPlan, HostPlan];
});

describe("two-host-vlan plan", () => {
  it("loads 8021q and persists it", () => {
    expect(commands(docker01)).toContain("modprobe 8021q");
    const persist = step(docker01, "module:persist").actions[0]!;
    expect(persist).toMatchObject({ kind: "write", path: "/etc/modules-load.d/lab-two-host-vlan.conf" });
    expect(persist.kind === "write" && persist.content).toMatch(/^8021q$/m);
  });

  it("writes the full ifcfg-ens33.10 and ifcfg-ens33.20", () => {
    const file10 = step(docker01, "vlan:10:file").actions[0]!;
    expect(file10).toEqual({
      kind: "write",
      path: "/etc/sysconfig/network-scripts/ifcfg-ens33.10",
      mode: "0644",
      content:
        "# Written by lab (two-host-vlan); lab down removes it.\n" +
        "DEVICE=ens33.10\nBOOTPROTO=none\nONBOOT=yes\nIPADDR=192.168.10.10\nPREFIX=24\nGATEWAY=192.168.10.2\nDEFROUTE=no\nVLAN=yes\n",
    });
    const file20 = step(docker02, "vlan:20:file").actions[0]!;
    expect(file20.kind === "write" && file20.content).toContain(
      "IPADDR=192.168.20.21\nPREFIX=24\nGATEWAY=192.168.20.2\n",
    );
  });

  it("brings the sub-interfaces up at runtime, in order", () => {
    const ids = docker01.steps.map((s) => s.id);
    expect(commands(docker01)).toEqual(
      expect.arrayContaining([
        "ip link add link ens33 name ens33.10 type vlan id 10",
        "ip addr add 192.168.10.10/24 dev ens33.10",
        "ip link set dev ens33.10 up",
        "ip link add link ens33 name ens33.20 type vlan id 20",
      ]),
    );
    expect(ids.indexOf("vlan:10:link")).toBeLessThan(ids.indexOf("vlan:10:address:192.168.10.10/24"));
    expect(ids.indexOf("vlan:10:address:192.168.10.10/24")).toBeLessThan(ids.indexOf("vlan:10:up"));
    expect(ids.indexOf("vlan:10:up")).toBeLessThan(ids.indexOf("network:mac_net10"));
  });

  it("sets the NIC promiscuous, with its undo", () => {
    const promisc = step(docker01, "promisc:ens33");
    expect(promisc.actions).toEqual([{ kind: "run", command: "ip link set ens33 promisc on" }]);
    expect(promisc.undo).toEqual([{ kind: "promisc-off", dev: "ens33" }]);
    expect(promisc.undo.flatMap(undoActions)).toEqual([{ kind: "run", command: "ip link set ens33 promisc off" }]);
  });

  it("merges insecure-registries into daemon.json and reloads, on every host", () => {
    for (const host of [docker01, docker02]) {
      const daemon = step(host, "docker:insecure-registry");
      expect(daemon.actions[0]).toEqual({
        kind: "merge-json",
        path: "/etc/docker/daemon.json",
        merge: { "insecure-registries": ["192.168.1.11:5000"] },
      });
      expect(daemon.actions[1]).toMatchObject({ kind: "run", command: expect.stringContaining("reload") });
      // Never a restart (it would stop running containers) unless the user allows it.
      expect(JSON.stringify(daemon)).not.toContain("systemctl restart");
      expect(JSON.stringify(daemon)).toContain("--allow-docker-restart");
    }
  });

  it("restarts dockerd only with --allow-docker-restart, when a reload did not apply", async () => {
    const { lab } = await validateFile("labs/two-host-vlan.yaml");
    const plan = buildPlan(lab!, undefined, { allowDockerRestart: true });
    const daemon = step(plan.hosts[0]!, "docker:insecure-registry");
    const last = daemon.actions.at(-1)!;
    expect(last.kind === "run" && last.command).toMatch(/\|\| systemctl restart docker$/);
  });

  it("creates identical macvlan networks on both hosts", () => {
    const create =
      "docker network create -d macvlan --subnet 172.16.10.0/24 --gateway 172.16.10.1 -o parent=ens33.10 mac_net10";
    const onDocker01 = commands(docker01).find(
      (c) => c.includes("mac_net10") && c.startsWith("docker network create"),
    )!;
    const onDocker02 = commands(docker02).find(
      (c) => c.includes("mac_net10") && c.startsWith("docker network create"),
    )!;
    expect(onDocker01.replace("--label lab.name=two-host-vlan --label lab.id=wdryjx3yec2f ", "")).toBe(create);
    expect(onDocker02).toBe(onDocker01);
  });

  it("runs the registry on docker01 only, pushes there and pulls on docker02", () => {
    expect(commands(docker01).join("\n")).toContain("-p 5000:5000 registry:2");
    expect(commands(docker02).join("\n")).not.toContain("registry:2");
    expect(commands(docker01).some((c) => c.includes("until docker push 192.168.1.11:5000/busybox:latest; do"))).toBe(
      true,
    );
    expect(commands(docker02)).toContain("docker pull 192.168.1.11:5000/busybox:latest");
    expect(commands(docker01)).not.toContain("docker pull 192.168.1.11:5000/busybox:latest");
  });

  it("starts the containers with fixed IPs from the registry image, labelled", () => {
    const run = step(docker01, "container:bbox10").actions[0]!;
    expect(run.kind === "run" && run.command).toContain(
      "docker run -dit --name bbox10 --label lab.name=two-host-vlan --label lab.id=wdryjx3yec2f --network mac_net10 --ip 172.16.10.10 192.168.1.11:5000/busybox:latest",
    );
    expect(docker02.steps.map((s) => s.id)).toEqual(expect.arrayContaining(["container:bbox11", "container:bbox21"]));
    expect(docker02.steps.map((s) => s.id)).not.toContain("container:bbox10");
  });

  it("ends with the checks: same VLAN reachable, other VLAN unreachable", () => {
    const probes = docker01.steps.flatMap((s) => s.probes ?? []);
    const probe = (from: string, to: string) => probes.find((p) => p.from === from && p.to === to)!;
    expect(probe("bbox10", "bbox11")).toMatchObject({
      expect: "reachable",
      address: "172.16.10.11",
      command: "docker exec bbox10 ping -c 1 -W 1 172.16.10.11",
    });
    expect(probe("bbox10", "bbox21")).toMatchObject({ expect: "unreachable", explicit: true });
    expect(probe("bbox20", "bbox11").expect).toBe("unreachable");
    expect(probes.filter((p) => p.from.startsWith("bbox1") || p.from.startsWith("bbox2"))).toHaveLength(6);
    expect(docker01.steps.at(-1)!.phase).toBe("verify");
  });

  it("gives every changing step an undo", () => {
    for (const host of [docker01, docker02]) {
      for (const s of host.steps.filter((s) => s.phase !== "verify")) expect(s.undo.length, s.id).toBeGreaterThan(0);
    }
  });

  it("plans for Debian with the same runtime commands when persistence is explicit", async () => {
    const { lab } = await validateFile("labs/two-host-vlan.yaml");
    const debian = buildPlan(lab!, {
      docker01: { os: "debian", detected: true },
      docker02: { os: "debian", detected: true },
    });
    expect(debian.hosts[0]!.steps.map((s) => s.id)).toEqual(docker01.steps.map((s) => s.id));
  });
});
