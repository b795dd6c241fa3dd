import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { toDot, toMermaid } from "../../src/graph/render.js";
import { labTopology, type Topology } from "../../src/graph/topology.js";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { HostPlan, Plan, Probe, Step } from "../../src/plan/types.js";
import { hostScript } from "../../src/report/plan-sh.js";
import { commandArg, patterns } from "../../src/labfile/patterns.js";
import { validateText } from "../../src/labfile/validate.js";

/**
 * The handouts (`lab plan --format sh`, `lab graph`) are safe by construction, whatever the lab
 * file holds. Think of a lab file written by an attacker for students who run its handout as
 * root: every value is generated from its field's own grammar, with hostile characters spliced
 * in; whatever still validates goes through the real pipeline. The scripts run in a REAL `sh`
 * (no host is touched: host tools are stubs and /etc is moved into a temp directory), the DOT
 * goes through Graphviz. An injected command would create the file "pwned" in the working
 * directory; every printed or written value must come back byte for byte.
 */
const SEED = 20_240_611;
const RUNS = 200;
/** The properties that start a process per run: fewer runs, to keep the file near 20 s. */
const PROCESS_RUNS = 120;
const MARKER = "pwned";

/** Characters and fragments that mean something to sh, Mermaid, DOT, YAML or a terminal. */
const HOSTILE = [
  `$(:>${MARKER})`,
  `\`:>${MARKER}\``,
  `\n:>${MARKER}\n`,
  `;:>${MARKER};`,
  `'`,
  `"`,
  `\\`,
  `\\n`,
  `\\c`,
  `\\N`,
  "\n",
  "\r",
  "\t",
  "#",
  "# ",
  "]",
  "[",
  "|",
  "{",
  "}",
  "(",
  ")",
  "<b>",
  ">",
  "&",
  "&amp;",
  "#quot;",
  "`",
  "%%",
  "$$",
  "$HOME",
  "${x}",
  "-n",
  "-e ",
  " ",
  "  ",
  "*",
  "?",
  "~",
  "!",
  ";",
  "=",
  ":",
  "@",
  ".",
  "-",
  "_",
  "/",
  "LAB_EOF",
  "é",
  "☃",
  "\u2028",
  "--- ",
  "end",
];

/** A value of a field: mostly from its own grammar, sometimes with a hostile fragment spliced in. */
function field(regex: RegExp, maxLength = 24): fc.Arbitrary<string> {
  const valid = fc.stringMatching(regex, { size: "xsmall" }).filter((s) => s.length <= maxLength);
  const spliced = fc
    .tuple(valid, fc.constantFrom(...HOSTILE), fc.nat())
    .map(([s, bad, at]) => s.slice(0, at % (s.length + 1)) + bad + s.slice(at % (s.length + 1)));
  // Rare enough per field that about half the labs still validate (some spliced values do too).
  return fc.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: spliced, weight: 1 });
}

/** Text with no grammar at all (a file name, a free-text field): hostile fragments and plain words. */
const text = (minLength = 1): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.stringMatching(/^[a-z0-9]{1,4}$/)), { minLength, maxLength: 6 })
    .map((parts) => parts.join(""));

/** A lab exercising every field that reaches a title, a comment, a file, daemon.json or a graph label. */
const labInput = fc.record({
  file: text(0).map((t) => `labs/${t}.yaml`),
  name: field(patterns.labName.regex),
  description: text(),
  h1: field(patterns.hostName.regex),
  h2: field(patterns.hostName.regex),
  nic: field(patterns.interfaceName.regex, 9),
  vlan: fc.integer({ min: 1, max: 4094 }),
  module: field(patterns.moduleName.regex),
  network: field(patterns.objectName.regex),
  aux: field(patterns.auxName.regex),
  shim: field(patterns.interfaceName.regex, 15),
  c1: field(patterns.objectName.regex),
  c2: field(patterns.objectName.regex),
  command: fc.oneof(
    { arbitrary: text().filter((t) => commandArg.test(t)), weight: 20 },
    { arbitrary: text(), weight: 1 },
  ),
  ns: field(patterns.namespaceName.regex),
  iface: field(patterns.interfaceName.regex, 15),
  port: fc.integer({ min: 1, max: 65535 }),
  registryImage: field(patterns.imageRef.regex, 80),
  image1: field(patterns.imageRef.regex, 80),
  image2: field(patterns.imageRef.regex, 80),
  tarball: field(patterns.localPath.regex),
  os: fc.constantFrom("rhel" as const, "debian" as const),
});
type LabInput = typeof labInput extends fc.Arbitrary<infer T> ? T : never;

function labYaml(i: LabInput): string {
  const lab = {
    name: i.name,
    description: i.description,
    hosts: {
      [i.h1]: {
        address: "192.168.1.11",
        nic: i.nic,
        modules: [i.module],
        shim: { network: i.network, address: "172.16.10.250", name: i.shim },
      },
      [i.h2]: { address: "192.168.1.13", nic: i.nic },
    },
    vlans: { [String(i.vlan)]: { addresses: { [i.h1]: "192.168.10.10/24", [i.h2]: "192.168.10.11/24" } } },
    registry: {
      host: i.h1,
      port: i.port,
      image: i.registryImage,
      images: [i.image1, { ref: i.image2, tarball: i.tarball }],
    },
    networks: {
      [i.network]: {
        driver: "macvlan",
        parent: `${i.nic}.${i.vlan}`,
        subnets: [{ subnet: "172.16.10.0/24", aux_addresses: { [i.aux]: "172.16.10.250" } }],
      },
    },
    containers: {
      [i.c1]: { host: i.h1, network: i.network, ip: "172.16.10.10", image: i.image1, command: i.command },
      [i.c2]: { host: i.h2, network: i.network, ip: "172.16.10.11", image: i.image2 },
    },
    namespaces: {
      [i.ns]: { host: i.h2, interfaces: { [i.iface]: { kind: "macvlan", parent: i.nic, address: "10.20.0.11/24" } } },
    },
    checks: { explicit: [{ from: i.c1, to: i.ns, expect: "unreachable" }] },
  };
  return YAML.stringify(lab);
}

// ---- a real sh, and a harmless environment for it ----

let base: string;
/** PATH for the scripts: the real file tools only. */
let bin: string;
/** Every tool that would change a host, as a shell function that does nothing (cheaper than a stub process). */
let stubs: string;
const HOST_TOOLS = [
  "docker",
  "ip",
  "modprobe",
  "systemctl",
  "pidof",
  "grep",
  "sysctl",
  "ping",
  "nsenter",
  "ifup",
  "ifdown",
  "nmcli",
  "sleep",
  "ethtool",
  "bridge",
];
// jq merges into an existing daemon.json (scripts/install-deps.sh installs it; python3 is not on this PATH).
const FILE_TOOLS = [
  "mkdir",
  "cat",
  "chmod",
  "rm",
  "mv",
  "cp",
  "dirname",
  "head",
  "tr",
  "cmp",
  "true",
  "false",
  "grep",
  "jq",
];

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "lab-handout-"));
  bin = join(base, "bin");
  mkdirSync(bin);
  for (const tool of FILE_TOOLS) {
    const real = ["/usr/bin", "/bin"].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (!real) throw new Error(`no ${tool} on this machine`);
    symlinkSync(real, join(bin, tool));
  }
  stubs = join(base, "stubs.sh");
  // docker exec (the registry's storage, a ping in a container) fails, so those steps run their body; grep always
  // "finds", so the daemon.json step is seen as done (its body would wait for dockerd).
  const stub = (tool: string) =>
    tool === "docker" ? `docker() { case "$1" in exec) return 1;; esac; return 0; }` : `${tool}() { return 0; }`;
  writeFileSync(stubs, HOST_TOOLS.map(stub).join("\n") + "\n");
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function workDir(): string {
  return mkdtempSync(join(base, "run-"));
}

/**
 * `sh -n` on the script, then run it with a real sh in `cwd` (one process for both): PATH holds
 * only the real file tools, and with `stub` the host tools are shell functions that do nothing
 * (the script is sourced after them).
 */
function runSh(
  script: string,
  cwd: string,
  options: { stub: boolean },
): { status: number | null; stdout: string; stderr: string } {
  writeFileSync(join(cwd, "handout.sh"), script);
  const run = options.stub ? '. "$0" && . ./handout.sh' : "exec /bin/sh ./handout.sh";
  const r = spawnSync(
    "/bin/sh",
    ["-c", `/bin/sh -n ./handout.sh || { echo "sh -n failed" >&2; exit 98; }\n${run}`, stubs],
    {
      cwd,
      env: { PATH: bin, HOME: cwd },
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  expect(r.status === 98 && r.stderr.includes("sh -n failed") ? r.stderr : "", `sh -n:\n${script}`).toBe("");
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// ---- Graphviz and Mermaid ----

const dot = ["/usr/bin/dot", "/usr/local/bin/dot"].find((p) => existsSync(p));
if (!dot) console.log("SKIPPED rendering DOT with Graphviz: no dot (bash scripts/install-deps.sh installs graphviz)");

const decodeXml = (s: string) =>
  s
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&")
    // Graphviz writes the second of two spaces as a no-break space.
    .replace(/\u00a0/g, " ");

/** Graphviz draws a label line by line and leaves out empty lines. */
const drawnLines = (lines: string[]) => lines.flatMap((l) => l.split(/\r\n|\r|\n/)).filter((l) => l !== "");

/** The text lines of every group of a class in Graphviz's SVG, each group's lines as one key. */
function svgTexts(svg: string, cls: "node" | "edge" | "cluster"): string[] {
  return [...svg.matchAll(new RegExp(`<g id="[^"]*" class="${cls}">([\\s\\S]*?)</g>`, "g"))]
    .map((g) => JSON.stringify([...g[1]!.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].map((t) => decodeXml(t[1]!))))
    .sort();
}

/** Graphviz renders the topologies (one process for all) and shows every label exactly. */
function expectDotRoundTrip(...topologies: Topology[]): void {
  const source = topologies.map(toDot).join("");
  const r = spawnSync(dot!, ["-Tsvg"], { input: source, encoding: "utf8" });
  expect(r.status, `dot: ${r.stderr}\n${source}`).toBe(0);
  const svgs = r.stdout.split(/(?=<\?xml )/).filter((s) => s.trim());
  expect(svgs).toHaveLength(topologies.length);
  topologies.forEach((topology, k) => {
    const svg = svgs[k]!;
    const nodes = [topology.lan, ...topology.clusters.flatMap((c) => c.nodes)];
    expect(svgTexts(svg, "node")).toEqual(nodes.map((n) => JSON.stringify(drawnLines(n.lines))).sort());
    expect(svgTexts(svg, "cluster")).toEqual(
      topology.clusters.map((c) => JSON.stringify(drawnLines([c.label]))).sort(),
    );
    expect(svgTexts(svg, "edge")).toEqual(
      topology.edges.map((e) => JSON.stringify(drawnLines(e.label ? [e.label] : []))).sort(),
    );
  });
}

/** Mermaid's entity codes back to text ("#35;" → "#", "#quot;" → '"'). */
const NAMED: Record<string, string> = { quot: '"', lt: "<", gt: ">", amp: "&" };
const decodeMermaid = (s: string) =>
  s.replace(/#(\d+|quot|lt|gt|amp);/g, (_, code: string) => NAMED[code] ?? String.fromCodePoint(Number(code)));

/** Inside a quoted label: nothing that ends it or starts markup, HTML, an entity or a line. */
const LABEL_TEXT = `(?:[^"\`|\\[\\]{}<>#&$;%\\\\\\n\\r]|#\\w+;)*`;
const ID = "[A-Za-z][A-Za-z0-9_]*";
const NODE_LINE = new RegExp(
  `^ {2,4}(${ID})(\\{\\{|\\[\\/|\\(\\[|\\[\\[|\\[\\(|\\[|\\()"<b>(${LABEL_TEXT})</b>((?:<br/>${LABEL_TEXT})*)"(\\}\\}|\\/\\]|\\]\\)|\\]\\]|\\)\\]|\\]|\\))$`,
);
const SUBGRAPH_LINE = new RegExp(`^  subgraph (${ID})\\["(${LABEL_TEXT})"\\]$`);
const EDGE_LINE = new RegExp(`^  (${ID}) (?:---|-\\.-)(?:\\|"(${LABEL_TEXT})"\\|)? (${ID})$`);
const MERMAID_RESERVED =
  /^(end|subgraph|graph|flowchart|style|linkstyle|classdef|class|click|call|href|default|interpolate|direction|acctitle|accdescr)/i;

/** Every Mermaid line is one of the few safe shapes, ids are plain and distinct, and every label decodes back. */
function expectMermaidSafe(topology: Topology): void {
  const lines = toMermaid(topology).trimEnd().split("\n");
  expect(lines[0]).toBe("---");
  expect(
    JSON.parse(
      lines[1]!
        .replace(/^title: /, "")
        .replace(/\\U([0-9a-f]{8})/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16))),
    ),
  ).toBe(topology.title);
  expect(lines[1]).toMatch(/^title: "[ -~]*"$/);
  expect(lines.slice(2, 4)).toEqual(["---", "flowchart BT"]);
  const labels: string[] = [];
  const ids = new Set<string>();
  for (const line of lines.slice(4)) {
    if (line === "  end") continue;
    const node = NODE_LINE.exec(line);
    const subgraph = SUBGRAPH_LINE.exec(line);
    const edge = EDGE_LINE.exec(line);
    expect(node ?? subgraph ?? edge, `unsafe Mermaid line: ${JSON.stringify(line)}`).toBeTruthy();
    if (node) {
      ids.add(node[1]!);
      labels.push(JSON.stringify([node[3]!, ...node[4]!.split("<br/>").slice(1)].map(decodeMermaid)));
    }
    if (subgraph) {
      ids.add(subgraph[1]!);
      labels.push(JSON.stringify([decodeMermaid(subgraph[2]!)]));
    }
    for (const id of node ? [node[1]!] : subgraph ? [subgraph[1]!] : [edge![1]!, edge![3]!])
      expect(id).not.toMatch(MERMAID_RESERVED);
  }
  const nodes = [topology.lan, ...topology.clusters.flatMap((c) => c.nodes)];
  expect(ids.size, "one distinct id per node and subgraph").toBe(nodes.length + topology.clusters.length);
  expect(labels.sort()).toEqual(
    [...nodes.map((n) => JSON.stringify(n.lines)), ...topology.clusters.map((c) => JSON.stringify([c.label]))].sort(),
  );
  const edgeLabels = lines
    .map((l) => EDGE_LINE.exec(l))
    .filter((m) => m !== null)
    .map((m) => (m[2] === undefined ? "" : decodeMermaid(m[2])));
  expect(edgeLabels.sort()).toEqual(topology.edges.map((e) => e.label ?? "").sort());
}

/** The same topology with hostile fragments spliced into every label, the title and every id. */
function hostile(topology: Topology, bad: string[], at: number): Topology {
  let k = 0;
  const splice = (s: string) => {
    const frag = bad[k++ % bad.length]!;
    const i = at % (s.length + 1);
    return s.slice(0, i) + frag + s.slice(i);
  };
  // One fragment and one position for every id, so distinct ids stay distinct.
  const idFrag = bad[0]!;
  const id = (s: string) => s.slice(0, at % (s.length + 1)) + idFrag + s.slice(at % (s.length + 1));
  const node = (n: Topology["lan"]) => ({ ...n, id: id(n.id), lines: n.lines.map(splice) });
  return {
    title: splice(topology.title),
    lan: node(topology.lan),
    clusters: topology.clusters.map((c) => ({ id: id(c.id), label: splice(c.label), nodes: c.nodes.map(node) })),
    edges: topology.edges.map((e) => ({
      ...e,
      from: id(e.from),
      to: id(e.to),
      label: e.label === undefined ? undefined : splice(e.label),
    })),
  };
}

// ---- the properties ----

describe("handouts are safe by construction (property tests, real sh and Graphviz)", () => {
  let validated = 0;
  let tried = 0;

  it("sh handout of a lab built from the grammars: sh -n passes; run against stubs, nothing injected runs, titles print and files are written unchanged", () => {
    fc.assert(
      fc.property(labInput, fc.boolean(), (input, first) => {
        tried++;
        const result = validateText(input.file, labYaml(input));
        if (!result.lab) return;
        validated++;
        const plan = buildPlan(
          result.lab,
          Object.fromEntries(result.lab.hosts.map((h) => [h.name, { os: input.os, detected: true }])),
        );
        // One host's script per run (the registry host's or the other's, in turn): the runs cover both.
        for (const hostPlan of first ? plan.hosts.slice(0, 1) : plan.hosts.slice(-1)) {
          const script = hostScript(plan, hostPlan);
          const work = workDir();
          // The only paths the script writes are under /etc: moved into the work directory (a plain
          // path, so the script parses the same).
          const r = runSh(script.split("/etc/").join(`${work}/etc/`), work, { stub: true });
          expect(existsSync(join(work, MARKER)), `an injected command ran:\n${script}`).toBe(false);
          expect(r.status, `${r.stderr}\n${script}`).toBe(0);
          // Every line printed is a step title or a probe outcome, exactly.
          const expected = new Set<string>();
          for (const step of hostPlan.steps) {
            if (step.check) expected.add(`ok: ${step.title}`);
            for (const p of step.probes ?? [])
              for (const word of ["ok", "UNEXPECTED"])
                for (const how of ["reachable", "unreachable"]) expected.add(`${word}: ${p.from} -> ${p.to} ${how}`);
          }
          const printed = r.stdout.split("\n").filter(Boolean);
          expect(printed.length).toBeGreaterThan(0);
          for (const line of printed) expect(expected, `printed ${JSON.stringify(line)}`).toContain(line);
          for (const action of hostPlan.steps.filter((s) => !s.check).flatMap((s) => s.actions)) {
            if (action.kind === "write")
              expect(readFileSync(join(work, action.path.replace(/^\/etc\//, "etc/")), "utf8")).toBe(action.content);
          }
          rmSync(work, { recursive: true, force: true });
        }
      }),
      { seed: SEED, numRuns: PROCESS_RUNS },
    );
    // Not vacuous: a good share of the generated labs validated and ran.
    expect(validated / tried).toBeGreaterThan(0.2);
  }, 120_000);

  it("sh handout of a plan holding hostile values in every field: sh -n passes; run, nothing injected runs and every value comes back unchanged", () => {
    const name = text().filter((t) => !t.includes("/") && t !== "." && t !== ".." && !t.includes(MARKER));
    const input = fc.record({
      lab: text(),
      file: text(),
      host: text(),
      address: text(),
      titles: fc.array(text(), { minLength: 5, maxLength: 5 }),
      note: text(),
      writeName: name,
      content: text(0),
      mergeName: name,
      mergeValue: text(0),
      mergeExists: fc.boolean(),
      uploadDir: text(),
      uploadName: name.map((n) => `u-${n}`),
      restorePath: text(),
      probe: fc.record({
        from: text(),
        to: text(),
        toHost: text(),
        address: text(),
        reason: text(),
        reachable: fc.boolean(),
        replies: fc.boolean(),
      }),
    });
    fc.assert(
      fc.property(input, (i) => {
        const work = workDir();
        const files = join(work, "files");
        mkdirSync(files);
        const writePath = join(files, `w-${i.writeName}`);
        const mergePath = join(files, `m-${i.mergeName}`);
        if (i.mergeExists) writeFileSync(mergePath, "{}\n");
        const uploaded = Buffer.from(`upload ${i.uploadName}\n`);
        writeFileSync(join(work, i.uploadName), uploaded);
        const step = (
          n: number,
          check: string | undefined,
          actions: Step["actions"],
          extra: Partial<Step> = {},
        ): Step => ({ id: `s${n}`, phase: "kernel", title: i.titles[n]!, check, actions, undo: [], ...extra });
        const probe: Probe = {
          ...i.probe,
          fromHost: i.host,
          expect: i.probe.reachable ? "reachable" : "unreachable",
          command: i.probe.replies ? "true" : "false",
          explicit: true,
        };
        const steps: Step[] = [
          step(0, undefined, [{ kind: "write", path: writePath, content: i.content, mode: "0644" }], { note: i.note }),
          step(1, "false", [{ kind: "merge-json", path: mergePath, merge: { "insecure-registries": [i.mergeValue] } }]),
          step(2, "false", [
            { kind: "upload", from: `${i.uploadDir}/${i.uploadName}`, to: 'cat "$upload" > uploaded-copy' },
          ]),
          step(3, "false", [{ kind: "restore", path: i.restorePath }]),
          step(4, "true", [{ kind: "run", command: "false" }]),
          { id: "verify", phase: "verify", title: "checks", actions: [], undo: [], probes: [probe] },
        ];
        const hostPlan: HostPlan = {
          host: i.host,
          address: i.address,
          facts: { os: "debian", detected: false },
          steps,
        };
        const plan: Plan = { lab: i.lab, file: i.file, hosts: [hostPlan] };
        const script = hostScript(plan, hostPlan);
        // Nothing here touches the host (the plan's own commands are true, false and cat): no stubs, the real grep.
        const r = runSh(script, work, { stub: false });
        expect(existsSync(join(work, MARKER)), `an injected command ran:\n${script}`).toBe(false);
        expect(r.status, `${r.stderr}\n${script}`).toBe(0);

        const json = JSON.stringify({ "insecure-registries": [i.mergeValue] });
        const replied = i.probe.replies ? "reachable" : "unreachable";
        const word = i.probe.replies === i.probe.reachable ? "ok" : "UNEXPECTED";
        expect(r.stdout).toBe(`ok: ${i.titles[4]}\n${word}: ${i.probe.from} -> ${i.probe.to} ${replied}\n`);
        expect(r.stderr).toBe("");
        expect(readFileSync(writePath, "utf8")).toBe(i.content);
        // Written whole either way; merged into the existing file ("{}" here) by jq.
        if (i.mergeExists) expect(JSON.parse(readFileSync(mergePath, "utf8"))).toEqual(JSON.parse(json));
        else expect(readFileSync(mergePath, "utf8")).toBe(`${json}\n`);
        expect(readFileSync(join(work, "uploaded-copy"))).toEqual(uploaded);
        rmSync(work, { recursive: true, force: true });
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it.skipIf(!dot)(
    "DOT of a lab built from the grammars, and of its topology with hostile text in every label and id: Graphviz parses it and every label comes back unchanged",
    () => {
      fc.assert(
        fc.property(
          labInput,
          fc.array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 5 }),
          fc.nat(),
          (input, bad, at) => {
            const result = validateText(input.file, labYaml(input));
            const topology: Topology = result.lab
              ? labTopology(result.lab)
              : { title: input.name, lan: { id: "lan", kind: "lan", lines: ["lab LAN"] }, clusters: [], edges: [] };
            expectDotRoundTrip(topology, hostile(topology, bad, at));
          },
        ),
        { seed: SEED, numRuns: PROCESS_RUNS },
      );
    },
    120_000,
  );

  it("Mermaid of the same topologies: only safe line shapes, plain distinct ids, and every label decodes back unchanged", () => {
    fc.assert(
      fc.property(
        labInput,
        fc.array(fc.constantFrom(...HOSTILE), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        (input, bad, at) => {
          const result = validateText(input.file, labYaml(input));
          const topology: Topology = result.lab
            ? labTopology(result.lab)
            : { title: input.name, lan: { id: "lan", kind: "lan", lines: ["lab LAN"] }, clusters: [], edges: [] };
          expectMermaidSafe(topology);
          expectMermaidSafe(hostile(topology, bad, at));
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );
  });
});

describe("the handout's daemon.json merge with python3", () => {
  const python = ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p));
  if (!python) console.log("SKIPPED python3 merge test: no python3 in /usr/bin or /usr/local/bin");

  it.skipIf(!python)("keeps the file's other keys and joins lists without repeats", () => {
    const work = mkdtempSync(join(tmpdir(), "lab-merge-"));
    const path = join(work, "daemon.json");
    writeFileSync(path, JSON.stringify({ "log-level": "warn", "insecure-registries": ["a:5000"] }));
    const hostPlan: HostPlan = {
      host: "h",
      address: "10.0.0.1",
      facts: { os: "debian", detected: true },
      steps: [
        {
          id: "m",
          phase: "daemon",
          title: "merge",
          actions: [{ kind: "merge-json", path, merge: { "insecure-registries": ["a:5000", "b:5000"] } }],
          undo: [],
        },
      ],
    };
    const script = hostScript({ lab: "t", file: "t.yaml", hosts: [hostPlan] }, hostPlan);
    const r = spawnSync("/bin/sh", ["-c", script], {
      env: { PATH: `${dirname(python!)}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      "log-level": "warn",
      "insecure-registries": ["a:5000", "b:5000"],
    });
    rmSync(work, { recursive: true, force: true });
  });
});
