import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { applyPlan } from "../../src/apply/engine.js";
import type { Lab } from "../../src/labfile/model.js";
import { validateFile } from "../../src/labfile/validate.js";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { Plan } from "../../src/plan/types.js";
import type { Transport } from "../../src/transport/types.js";
import { FakeTransport, type FakeDocker } from "../helpers/fake-transport.js";
import { PROBE, probeOutput, recorder } from "./engine-fixtures.js";

/**
 * The probe of a Docker lab (single-network's real plan) on fake hosts: Docker steps are told
 * from Docker's API, asked once per host on the probe's own command, never by a docker
 * process per object; collisions found there stop every host before any change.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
let lab: Lab;
let plan: Plan;
beforeAll(async () => {
  lab = (await validateFile(join(root, "labs", "single-network.yaml"))).lab!;
  plan = buildPlan(lab);
});

const labels = () => ({ "lab.id": lab.id, "lab.name": lab.name });

/** dockerd of a host where single-network is up. */
const upDocker =
  (host: string): FakeDocker =>
  (path) => {
    const mine = host === "docker01" ? "bbox1" : "bbox2";
    const ip = host === "docker01" ? "172.22.16.10" : "172.22.16.11";
    if (path.startsWith("/containers/"))
      return {
        body: [
          {
            Names: [`/${mine}`],
            Image: "192.168.1.11:5000/busybox:latest",
            State: "running",
            Labels: labels(),
            NetworkSettings: { Networks: { mac_net1: { IPAMConfig: { IPv4Address: ip } } } },
          },
          { Names: [`/${lab.name}-registry`], Image: "registry:2", State: "running", Labels: labels() },
        ],
      };
    if (path === "/networks")
      return {
        body: [
          {
            Name: "mac_net1",
            Driver: "macvlan",
            Options: { parent: "ens33" },
            IPAM: { Config: [{ Subnet: "172.22.16.0/24", Gateway: "172.22.16.1" }] },
            Labels: labels(),
          },
        ],
      };
    if (path === "/images/json") return { body: [{ Id: "x", RepoTags: ["192.168.1.11:5000/busybox:latest"] }] };
    if (path === "/info") return { body: { RegistryConfig: { IndexConfigs: { "192.168.1.11:5000": {} } } } };
    if (path.startsWith("/distribution/")) return { body: {} };
    return undefined;
  };

/** A host whose shell checks all pass and whose Docker answers with `docker`. */
function host(name: string, docker: FakeDocker): FakeTransport {
  const steps = plan.hosts.find((h) => h.host === name)!.steps;
  return new FakeTransport(name)
    .on(PROBE, { stdout: probeOutput(steps, new Set(steps.map((s) => s.id))) })
    .docker(docker);
}

async function run(fakes: FakeTransport[]) {
  const { emit, rec } = recorder();
  const transports = new Map<string, Transport>(fakes.map((f) => [f.host, f]));
  const result = await applyPlan(lab, plan, transports, { parallel: 10, emit, commandTimeoutMs: 5000 });
  return { result, rec };
}

describe("the probe of a Docker lab", () => {
  it("nothing to change: one command per host, no docker process in it, every Docker question in one pipelined ask", async () => {
    const fakes = ["docker01", "docker02"].map((h) => host(h, upDocker(h)));
    const { result, rec } = await run(fakes);
    expect(result.failed).toBe(false);
    expect(rec.starts).toEqual([]);
    for (const f of fakes) {
      expect(f.commands).toHaveLength(1);
      // The docker CLI starts once, as the Docker API's stream: no `docker inspect`/`exec`/`info`.
      expect(f.commands[0]!.match(/\bdocker [a-z]+/g)).toEqual(["docker system"]);
      expect(f.commands[0]).toContain("docker system dial-stdio");
    }
    expect(fakes[0]!.dockerPaths).toEqual([
      "/containers/json?all=1",
      "/networks",
      "/images/json",
      "/info",
      "/distribution/192.168.1.11:5000/busybox:latest/json",
    ]);
    expect(fakes[1]!.dockerPaths).toEqual(["/containers/json?all=1", "/networks", "/images/json", "/info"]);
  });

  it("what Docker lacks is run: a stopped container, a missing network, a tag the registry does not serve", async () => {
    const d1 = upDocker("docker01");
    const broken: FakeDocker = (path) => {
      if (path === "/networks") return { body: [] };
      if (path.startsWith("/distribution/")) return { status: 404, body: { message: "manifest unknown" } };
      if (path.startsWith("/containers/"))
        return {
          body: (d1(path)!.body as { State: string }[]).map((c, i) => (i === 0 ? { ...c, State: "exited" } : c)),
        };
      return d1(path);
    };
    const fakes = [host("docker01", broken), host("docker02", upDocker("docker02"))];
    const { rec } = await run(fakes);
    expect(rec.starts).toEqual(["network:mac_net1", "seed:busybox:latest", "container:bbox1"]);
  });

  it("collisions on two hosts stop the run before any change, naming both hosts in one error", async () => {
    const foreign =
      (name: string): FakeDocker =>
      (path) =>
        path.startsWith("/containers/") ? { body: [{ Names: [`/${name}`], State: "running", Labels: {} }] } : undefined;
    const fakes = [host("docker01", foreign("bbox1")), host("docker02", foreign("bbox2"))];
    const error = await run(fakes).then(
      () => undefined,
      (e: unknown) => e as Error & { exitCode: number },
    );
    expect(error?.exitCode).toBe(3);
    expect(error?.message.split("\n")).toEqual([
      `docker01: probe: a container named bbox1 is there and not this lab's (no label lab.id=${lab.id}): rename the lab's, or remove that one; nothing was changed`,
      `docker02: probe: a container named bbox2 is there and not this lab's (no label lab.id=${lab.id}): rename the lab's, or remove that one; nothing was changed`,
    ]);
    for (const f of fakes) expect(f.commands).toHaveLength(1);
  });

  it("dockerd not answering on the probe's stream: that host cannot be read, nothing changes", async () => {
    const down: FakeDocker = () => ({ status: 500, body: { message: "daemon gone" } });
    const fakes = [host("docker01", down), host("docker02", upDocker("docker02"))];
    await expect(run(fakes)).rejects.toMatchObject({
      host: "docker01",
      exitCode: 3,
      message: expect.stringMatching(/cannot read Docker's state .*HTTP 500.*nothing was changed here/),
    });
    for (const f of fakes) expect(f.commands).toHaveLength(1);
  });
});
