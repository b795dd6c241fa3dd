import { PassThrough, Duplex } from "node:stream";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { collisions, portOwnerLine } from "../../src/apply/collisions.js";
import {
  askFor,
  conflictOf,
  inPlace,
  listedRef,
  parseDockerState,
  readDockerState,
  type DockerState,
} from "../../src/apply/docker-state.js";
import type { Lab } from "../../src/labfile/model.js";
import { validateFile } from "../../src/labfile/validate.js";
import type { Step } from "../../src/plan/types.js";
import { parseAnswers, pipelinedGets } from "../../src/transport/http-pipeline.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
let single: Lab;
let vlan: Lab;
beforeAll(async () => {
  single = (await validateFile(join(root, "labs", "single-network.yaml"))).lab!;
  vlan = (await validateFile(join(root, "labs", "two-host-vlan.yaml"))).lab!;
});

const answer = (body: unknown, status = 200) => {
  const text = JSON.stringify(body);
  return `HTTP/1.1 ${status} OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
};
const chunked = (body: unknown, size = 7) => {
  const text = JSON.stringify(body);
  let out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (let i = 0; i < text.length; i += size) {
    const part = text.slice(i, i + size);
    out += `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
};

/** A stream as dial-stdio gives it: what is fed comes out; what is written goes elsewhere. */
function dialed(): { stream: Duplex; feed: PassThrough; written: string[] } {
  const feed = new PassThrough();
  const written: string[] = [];
  const sink = new PassThrough().on("data", (d) => written.push(String(d)));
  return { stream: Duplex.from({ readable: feed, writable: sink }), feed, written };
}

describe("pipelined HTTP over one stream", () => {
  it("parses answers with a length and chunked ones, in order, whatever the stream cuts them into", async () => {
    const all = Buffer.from(answer({ a: 1 }) + chunked([{ Name: "é" }]) + answer({ message: "no" }, 404));
    // Fed one byte at a time: no answer may be taken before all of it is there.
    const { stream, feed, written } = dialed();
    const pending = pipelinedGets(stream, ["/a", "/b", "/c"], 5000);
    for (const byte of all) feed.write(Buffer.from([byte]));
    expect(await pending).toEqual([
      { status: 200, body: '{"a":1}' },
      { status: 200, body: '[{"Name":"é"}]' },
      { status: 404, body: '{"message":"no"}' },
    ]);
    // Every request went out at once, before any answer: one round trip.
    expect(written.join("")).toBe(
      "GET /a HTTP/1.1\r\nHost: docker\r\n\r\nGET /b HTTP/1.1\r\nHost: docker\r\n\r\nGET /c HTTP/1.1\r\nHost: docker\r\n\r\n",
    );
  });

  it.each([
    ["not HTTP", "SSH-2.0-x\r\n\r\n", /not an HTTP answer/],
    ["no length", "HTTP/1.1 200 OK\r\nX: y\r\n\r\n{}", /without Content-Length/],
    ["a huge length", "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n", /too large/],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", /malformed chunk/],
    ["a head without end", `HTTP/1.1 200 OK\r\n${"X: y\r\n".repeat(20000)}`, /head is too long/],
  ])("a host answering %s is an error, not a state", (_name, text, error) => {
    expect(() => parseAnswers(Buffer.from(text), 1)).toThrow(error);
  });

  it("a stream that ends early, or says nothing, is an error", async () => {
    const ended = dialed();
    const pending = pipelinedGets(ended.stream, ["/a", "/b"], 5000);
    ended.feed.end(answer([]));
    await expect(pending).rejects.toThrow(/ended before every answer/);
    await expect(pipelinedGets(dialed().stream, ["/a"], 50)).rejects.toThrow(/no answer .* within 50 ms/);
  });
});

/** Docker's answers as a dockerd on docker01 of single-network with the lab up would give them. */
function upState(over: { containers?: unknown[]; networks?: unknown[] } = {}): DockerState {
  const labels = { "lab.id": single.id, "lab.name": single.name };
  const ask = askFor([
    { kind: "container-running", name: "bbox1" },
    { kind: "network", name: "mac_net1" },
    { kind: "insecure-registry", endpoint: "192.168.1.11:5000" },
    { kind: "registry-tag", ref: "192.168.1.11:5000/busybox:latest" },
    { kind: "registry-tag", ref: "192.168.1.11:5000/other:1" },
  ]);
  return parseDockerState(ask, [
    {
      status: 200,
      body: JSON.stringify(
        over.containers ?? [
          {
            Names: ["/bbox1"],
            Image: "192.168.1.11:5000/busybox:latest",
            ImageID: "sha256:b1",
            State: "running",
            Labels: labels,
            NetworkSettings: { Networks: { mac_net1: { IPAMConfig: { IPv4Address: "172.22.16.10" } } } },
          },
          { Names: ["/single-network-registry"], Image: "registry:2", State: "exited", Labels: labels },
        ],
      ),
    },
    {
      status: 200,
      body: JSON.stringify(
        over.networks ?? [
          { Name: "bridge", Driver: "bridge", Options: {}, IPAM: { Config: [{ Subnet: "172.17.0.0/16" }] } },
          {
            Name: "mac_net1",
            Driver: "macvlan",
            Options: { parent: "ens33" },
            Internal: false,
            IPAM: { Config: [{ Subnet: "172.22.16.0/24", Gateway: "172.22.16.1" }] },
            Labels: labels,
          },
        ],
      ),
    },
    { status: 200, body: JSON.stringify([{ Id: "sha256:b1", RepoTags: ["192.168.1.11:5000/busybox:latest"] }]) },
    { status: 200, body: JSON.stringify({ RegistryConfig: { IndexConfigs: { "192.168.1.11:5000": {} } } }) },
    { status: 200, body: "{}" },
    { status: 404, body: '{"message":"manifest unknown"}' },
  ]);
}

const step = (docker: Step["docker"], expect?: Record<string, string | string[]>): Step => ({
  id: "s",
  phase: "containers",
  title: "t",
  docker,
  conflict: expect && { what: "the object", expect },
  actions: [],
  undo: [],
});

describe("a host's Docker state, compared locally", () => {
  it("asks only what the steps need, in one list per kind", () => {
    expect(askFor([{ kind: "network", name: "n" }])).toEqual({
      containers: false,
      networks: true,
      images: false,
      info: false,
      registryTags: [],
    });
  });

  it("tells each kind of step in place or not", () => {
    const state = upState();
    expect(inPlace({ kind: "container-running", name: "bbox1" }, state)).toBe(true);
    expect(inPlace({ kind: "container-running", name: "single-network-registry" }, state)).toBe(false);
    expect(inPlace({ kind: "container-running", name: "bbox9" }, state)).toBe(false);
    expect(inPlace({ kind: "network", name: "mac_net1" }, state)).toBe(true);
    expect(inPlace({ kind: "network", name: "mac_net2" }, state)).toBe(false);
    expect(inPlace({ kind: "image", ref: "192.168.1.11:5000/busybox" }, state)).toBe(true);
    expect(inPlace({ kind: "image", ref: "192.168.1.11:5000/busybox:1.36" }, state)).toBe(false);
    expect(inPlace({ kind: "insecure-registry", endpoint: "192.168.1.11:5000" }, state)).toBe(true);
    expect(inPlace({ kind: "insecure-registry", endpoint: "192.168.1.11:5001" }, state)).toBe(false);
    expect(inPlace({ kind: "registry-tag", ref: "192.168.1.11:5000/busybox:latest" }, state)).toBe(true);
    expect(inPlace({ kind: "registry-tag", ref: "192.168.1.11:5000/other:1" }, state)).toBe(false);
  });

  it("lists references as Docker does", () => {
    expect(listedRef("busybox")).toBe("busybox:latest");
    expect(listedRef("docker.io/library/busybox:1.36")).toBe("busybox:1.36");
    expect(listedRef("10.0.0.1:5000/lab/tools")).toBe("10.0.0.1:5000/lab/tools:latest");
    expect(listedRef("busybox@sha256:ab")).toBe("busybox@sha256:ab");
  });

  it("an object of the step's name with another definition is a conflict naming the difference", () => {
    const state = upState();
    const network = step(
      { kind: "network", name: "mac_net1" },
      { driver: "macvlan", parent: "ens33.10", subnets: ["172.22.16.0/24"] },
    );
    expect(conflictOf(network, state)).toBe(
      "the object already exists with another definition: parent is ens33, the lab wants ens33.10. Remove or rename it; lab never reuses or replaces an object it did not make",
    );
    const same = step({ kind: "network", name: "mac_net1" }, { driver: "macvlan", parent: "ens33", internal: "false" });
    expect(conflictOf(same, state)).toBeUndefined();
    const container = step(
      { kind: "container-running", name: "bbox1" },
      { image: "192.168.1.11:5000/busybox:latest", networks: ["mac_net1"], ips: ["172.22.16.11"] },
    );
    expect(conflictOf(container, state)).toMatch(/ips 172\.22\.16\.10 lacks 172\.22\.16\.11/);
    expect(conflictOf(step({ kind: "container-running", name: "nothere" }, { image: "x" }), state)).toBeUndefined();
  });

  it("a container listed by image id (its tag moved) is still the wanted image when that id carries the tag", () => {
    const state = upState({
      containers: [{ Names: ["/bbox1"], Image: "sha256:b1", ImageID: "sha256:b1", State: "running", Labels: {} }],
    });
    const wanted = step({ kind: "container-running", name: "bbox1" }, { image: "192.168.1.11:5000/busybox:latest" });
    expect(conflictOf(wanted, state)).toBeUndefined();
    const other = step({ kind: "container-running", name: "bbox1" }, { image: "alpine:3" });
    expect(conflictOf(other, state)).toMatch(/image is sha256:b1, the lab wants alpine:3/);
  });

  it("answers of the wrong shape read as absent, never as a crash", () => {
    const ask = askFor([
      { kind: "network", name: "n" },
      { kind: "container-running", name: "c" },
    ]);
    const state = parseDockerState(ask, [
      { status: 200, body: '[null, 3, {"Names": "x"}, {"Names": [7]}]' },
      { status: 200, body: '{"not": "a list"}' },
      { status: 200, body: '[{"Id": {}, "RepoTags": [1, null]}]' },
    ]);
    expect(state.containers.size).toBe(0);
    expect(state.networks.size).toBe(0);
    expect(inPlace({ kind: "image", ref: "x" }, state)).toBe(false);
  });

  it("a list Docker could not give is an error (its objects are unknown, not absent)", () => {
    const ask = askFor([{ kind: "network", name: "n" }]);
    expect(() => parseDockerState(ask, [{ status: 500, body: "{}" }])).toThrow(/network list answered HTTP 500/);
    expect(() => parseDockerState(ask, [{ status: 200, body: "<html>" }])).toThrow(/not JSON/);
  });

  it("reads a whole state from a stream answering as dockerd does", async () => {
    const { stream, feed } = dialed();
    const ask = askFor([{ kind: "network", name: "mac_net1" }]);
    const pending = readDockerState("docker01", stream, ask, 5000);
    feed.write(chunked([{ Name: "mac_net1", Driver: "macvlan" }]));
    expect((await pending).networks.get("mac_net1")?.driver).toBe("macvlan");
  });
});

describe("collisions (seen by the probe, before any change on any host)", () => {
  it("a container or network of the lab's names that something else owns", () => {
    const state = upState({
      containers: [{ Names: ["/bbox10"], State: "running", Labels: { owner: "someone" } }],
      networks: [{ Name: "mac_net10", Labels: {} }],
    });
    expect(collisions(vlan, "docker01", state, undefined)).toEqual([
      `a container named bbox10 is there and not this lab's (no label lab.id=${vlan.id}): rename the lab's, or remove that one`,
      `a Docker network named mac_net10 is there and not this lab's (no label lab.id=${vlan.id}): rename the lab's, or remove that one`,
    ]);
  });

  it("another lab with the same name (its lab.name label, another lab.id) is named as such", () => {
    const labels = { "lab.name": "two-host-vlan", "lab.id": "x" };
    const state = upState({
      containers: [{ Names: ["/bbox10"], State: "exited", Labels: labels }],
      networks: [{ Name: "mac_net10", Labels: labels }],
    });
    expect(collisions(vlan, "docker01", state, undefined)).toEqual([
      `bbox10 belongs to another lab also named two-host-vlan (its lab.id is not ${vlan.id}): take that lab down with its own lab file, or give this lab another name`,
      `mac_net10 belongs to another lab also named two-host-vlan (its lab.id is not ${vlan.id}): take that lab down with its own lab file, or give this lab another name`,
    ]);
  });

  it("the registry port held by another program, unless the lab's own registry runs", () => {
    const socat = portOwnerLine('--x\nport_owner=LISTEN 0 5 0.0.0.0:5000 0.0.0.0:* users:(("socat",pid=4321,fd=5))\n');
    // In upState the lab's registry container is there but stopped.
    expect(collisions(single, "docker01", upState(), socat)).toEqual([
      "the registry port 5000 is already in use by socat (pid 4321): set registry.port, or stop it",
    ]);
    expect(collisions(single, "docker01", upState(), portOwnerLine("port_owner=\n"))).toEqual([]);
    const running = upState({
      containers: [
        {
          Names: ["/single-network-registry"],
          State: "running",
          Labels: { "lab.id": single.id, "lab.name": single.name },
        },
      ],
    });
    expect(collisions(single, "docker01", running, socat)).toEqual([]);
    expect(collisions(single, "docker02", upState(), socat)).toEqual([]);
  });
});
