import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { toDot, toMermaid } from "../../src/graph/render.js";
import { labTopology, type Topology } from "../../src/graph/topology.js";
import { validateFile, validateText } from "../../src/labfile/validate.js";

const samples = readdirSync("labs")
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => `labs/${f}`);
const load = async (file: string) => (await validateFile(file)).lab!;
const node = (t: Topology, id: string) => t.clusters.flatMap((c) => c.nodes).find((n) => n.id === id);
const edgesFrom = (t: Topology, id: string) => t.edges.filter((e) => e.from === id);

describe("lab graph: the topology", () => {
  it("two-host-vlan: per host the NIC, its VLANs, the networks on them and their containers; the registry; the explicit check", async () => {
    const t = labTopology(await load("labs/two-host-vlan.yaml"));
    expect(t.clusters.map((c) => c.label)).toEqual(["docker01 (192.168.1.11)", "docker02 (192.168.1.13)"]);
    expect(node(t, "docker02__ens33_10")?.lines).toEqual(["ens33.10", "VLAN 10", "192.168.10.11/24"]);
    expect(edgesFrom(t, "docker02__ens33_10").map((e) => e.to)).toEqual(["docker02__ens33"]);
    expect(edgesFrom(t, "docker02__net__mac_net10").map((e) => e.to)).toEqual(["docker02__ens33_10"]);
    expect(edgesFrom(t, "docker02__c__bbox11").map((e) => e.to)).toEqual(["docker02__net__mac_net10"]);
    expect(edgesFrom(t, "docker01__ens33")).toEqual([
      { from: "docker01__ens33", to: "lan", label: "802.1Q: VLAN 10, 20", style: "solid" },
    ]);
    expect(node(t, "docker01__registry")?.lines).toEqual(["registry", "192.168.1.11:5000", "busybox:latest"]);
    expect(node(t, "docker02__registry")).toBeUndefined();
    expect(edgesFrom(t, "docker01__c__bbox10")).toContainEqual({
      from: "docker01__c__bbox10",
      to: "docker02__c__bbox21",
      label: "check: unreachable",
      style: "dotted",
    });
  });

  it("docker-trunk: a parent Docker makes itself is drawn as such, on the NIC", async () => {
    const t = labTopology(await load("labs/docker-trunk.yaml"));
    const trunk = t.clusters[0]!.nodes.find((n) => n.kind === "trunk");
    expect(trunk?.lines).toEqual(["ens33.50", "made by Docker"]);
    expect(edgesFrom(t, trunk!.id).map((e) => e.to)).toEqual(["docker01__ens33"]);
  });

  it("macvlan-host-shim and macvlan-netns: the shim and the namespaces with their interfaces", async () => {
    const shim = labTopology(await load("labs/macvlan-host-shim.yaml"));
    expect(shim.clusters.flatMap((c) => c.nodes).some((n) => n.kind === "shim" && n.lines.includes("host shim"))).toBe(
      true,
    );
    const netns = labTopology(await load("labs/macvlan-netns.yaml"));
    expect(node(netns, "docker01__ns__ns1")?.lines).toEqual(["ns1", "namespace", "mv1 10.20.0.11/24"]);
    expect(edgesFrom(netns, "docker01__ns__ns1")).toEqual([
      { from: "docker01__ns__ns1", to: "docker01__ens33", label: "mv1: macvlan bridge", style: "solid" },
    ]);
  });

  it("ids stay unique and safe: names differing only in '.' and '-'", () => {
    const text = [
      "name: ids",
      "hosts:",
      "  h1: { address: 10.0.0.1 }",
      "networks:",
      "  n: { driver: macvlan, parent: ens33, subnets: [{ subnet: 10.9.0.0/24 }] }",
      "containers:",
      "  a.b: { host: h1, network: n, ip: 10.9.0.2, image: busybox }",
      "  a-b: { host: h1, network: n, ip: 10.9.0.3, image: busybox }",
    ].join("\n");
    const result = validateText("ids.yaml", text);
    expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
    const ids = labTopology(result.lab!).clusters.flatMap((c) => c.nodes.map((n) => n.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
  });
});

describe("lab graph: Mermaid and DOT", () => {
  it.each(samples)("%s: every edge joins declared nodes, every label is quoted", async (file) => {
    const mermaid = toMermaid(labTopology(await load(file)));
    const declared = new Set([...mermaid.matchAll(/^\s+([A-Za-z0-9_]+)[[({]/gm)].map((m) => m[1]));
    const edges = [...mermaid.matchAll(/^\s+([A-Za-z0-9_]+) (?:---|-\.-)(?:\|"[^"]*"\|)? ([A-Za-z0-9_]+)$/gm)];
    expect(edges.length).toBeGreaterThan(0);
    for (const [, from, to] of edges) {
      expect(declared).toContain(from);
      expect(declared).toContain(to);
    }
    // Every line is a header, a node with a quoted label, a subgraph, its end, or an edge.
    for (const line of mermaid.trimEnd().split("\n").slice(4)) {
      expect(line).toMatch(
        /^\s+(subgraph [A-Za-z0-9_]+\["[^"]*"\]|end|[A-Za-z0-9_]+\W{1,2}"[^"]*"\W{1,2}|[A-Za-z0-9_]+ (---|-\.-)(\|"[^"]*"\|)? [A-Za-z0-9_]+)$/,
      );
    }
  });

  it("escapes quotes and angle brackets in labels", () => {
    const t: Topology = {
      title: 'a "b"',
      lan: { id: "lan", kind: "lan", lines: ['say "hi" <b>'] },
      clusters: [],
      edges: [],
    };
    expect(toMermaid(t)).toContain('lan{{"<b>say #quot;hi#quot; #lt;b#gt;</b>"}}');
    expect(toDot(t)).toContain('graph "a \\"b\\"" {');
    expect(toDot(t)).toContain('lan [label="say \\"hi\\" <b>", shape=hexagon];');
  });

  it("whatever a topology holds: Mermaid labels as entity codes, plain ids (keywords prefixed); DOT strings escaped, one line each", () => {
    const t: Topology = {
      title: 't"x\n',
      lan: { id: "end", kind: "lan", lines: ["a]|`b\n#quot; & $$"] },
      clusters: [{ id: "node", label: "c (1)", nodes: [{ id: "a.b", kind: "nic", lines: ["x\\N &amp;"] }] }],
      edges: [{ from: "a.b", to: "end", label: 'say "hi"\nthere', style: "solid" }],
    };
    const mermaid = toMermaid(t);
    expect(mermaid).toContain('title: "t\\u0022x\\u000a"');
    expect(mermaid).toContain('n_end{{"<b>a#93;#124;#96;b#10;#35;quot#59; #amp; #36;#36;</b>"}}');
    expect(mermaid).toContain('subgraph node["c (1)"]');
    expect(mermaid).toContain('a_b["<b>x#92;N #amp;amp#59;</b>"]');
    expect(mermaid).toContain('a_b ---|"say #quot;hi#quot;#10;there"| n_end');
    const dotText = toDot(t);
    expect(dotText).toContain('graph "t\\"x\\n" {');
    expect(dotText).toContain('end [label="a]|`b\\n#quot; &amp; $$", shape=hexagon];');
    expect(dotText).toContain("subgraph cluster_n_node {");
    expect(dotText).toContain('a_b [label="x\\\\N &amp;amp;", shape=box];');
    expect(dotText).toContain('a_b -- end [label="say \\"hi\\"\\nthere"];');
    expect(dotText.split("\n").every((l) => !l.includes("\r"))).toBe(true);
  });

  const dot = ["/usr/bin/dot", "/usr/local/bin/dot"].find((p) => existsSync(p));
  if (!dot) console.log("SKIPPED rendering DOT with Graphviz: no dot (bash scripts/install-deps.sh installs graphviz)");
  it.skipIf(!dot).each(samples)("%s: Graphviz renders the DOT output", async (file) => {
    const svg = execFileSync(dot!, ["-Tsvg"], { input: toDot(labTopology(await load(file))), encoding: "utf8" });
    expect(svg).toContain("<svg");
    expect(svg).toContain("lab LAN");
  });
});
