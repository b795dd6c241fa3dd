import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Pair,
  parse,
  Scalar,
  stringify,
  visit,
  type Node,
} from "yaml";
import { assumedFacts, buildPlan } from "../../src/plan/build-plan.js";
import type { HostFacts } from "../../src/plan/types.js";
import { formatIssue } from "../../src/labfile/issues.js";
import { labSchema } from "../../src/labfile/schema.js";
import { parseLabSource, type LabSource } from "../../src/labfile/source.js";
import { validateSource } from "../../src/labfile/validate.js";

/**
 * Inputs for fuzz.test.ts, and the oracle every one of them must satisfy (check below). The
 * inputs start from the sample labs (labs/*.yaml), and from labs made by a small grammar, so
 * most of them get past the YAML and the schema into the semantic rules and the planner:
 *   - structure: values replaced (with values from the same place in another lab, other
 *     fields' values, hostile strings, wrong types, huge numbers, odd unicode), keys deleted,
 *     renamed, inserted, duplicated, subtrees swapped and grafted from other labs, values
 *     nested deeply; printed in random styles;
 *   - YAML: anchors and aliases (also as keys, also cyclic), tags, quoting and flow styles,
 *     complex keys, merge keys, a key repeated as another type (10 and "10"), comments, the
 *     %YAML 1.1 directive;
 *   - text: tokens inserted, spans deleted, lines duplicated (duplicate keys), swapped,
 *     re-indented, truncated, CRLF, BOM, tabs;
 *   - pathological: alias bombs, deep nesting, long lines, many entries.
 */

export const FILE = "fuzz.yaml";
/** One case may be slow (an alias bomb, deep nesting), not stuck. */
const MAX_CASE_MS = 5_000;

// ---------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------

export type Outcome = "yaml" | "schema" | "rules" | "valid";

const SECTIONS = ["hosts", "vlans", "networks", "containers", "namespaces"] as const;

/** A broken promise of the validator or the planner: the property fails with this message. */
export class FuzzFinding extends Error {}

function ensure(condition: unknown, message: string): void {
  if (!condition) throw new FuzzFinding(message);
}

/** Whether the file itself has the word: in its text, or in a value (YAML may fold it over lines). */
function mentions(text: string, data: unknown, word: string): boolean {
  if (text.includes(word)) return true;
  const seen = new Set<object>();
  const walk = (v: unknown): boolean => {
    if (typeof v === "string") return v.includes(word);
    if (v === null || typeof v !== "object" || seen.has(v)) return false;
    seen.add(v);
    return Object.entries(v).some(([k, x]) => k.includes(word) || walk(x));
  };
  return walk(data);
}

/**
 * A map of the YAML that has more entries than the data made of it: a key lost on the way (10
 * and "10" are one key in the data; zod drops "__proto__"). Aliases are followed once.
 */
function lostKey(doc: LabSource["doc"], data: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (node: unknown, value: unknown, path: string): string | undefined => {
    if (isAlias(node)) node = node.resolve(doc);
    if (seen.has(node) || seen.size > 5_000) return undefined;
    seen.add(node);
    if (isMap(node) && value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      if (keys.length !== node.items.length)
        return `${path || "the document"}: ${node.items.length} entries in the YAML, ${keys.length} in the data`;
      for (const pair of node.items) {
        const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        const text = key === null || key === undefined ? "" : isScalar(key) ? String(key.value ?? "") : undefined;
        if (text === undefined || !Object.hasOwn(value, text)) continue;
        const lost = walk(pair.value, (value as Record<string, unknown>)[text], `${path}.${text}`);
        if (lost) return lost;
      }
    } else if (isSeq(node) && Array.isArray(value)) {
      for (const [i, item] of node.items.entries()) {
        const lost = walk(item, value[i], `${path}[${i}]`);
        if (lost) return lost;
      }
    }
    return undefined;
  };
  return walk(doc.contents, data, "");
}

/**
 * Validate and, when valid, plan for both OS families. Throws (an exception of the code under
 * test, or a FuzzFinding) on anything but a clean outcome; returns how far the input got.
 * A clean outcome: every issue at file:line:col inside the file, with a message that shows no
 * internals (a stack, "[object Object]", an "undefined" the file does not have); no key lost
 * between the YAML and the data; a valid lab keeps every host, VLAN, network, container and
 * namespace of the file, and plans with unique step ids per host; no case takes 5 s.
 */
export function check(text: string): Outcome {
  const started = performance.now();
  // validateText(file, text) is exactly this; the source is kept to look at the data.
  const source = parseLabSource(FILE, text);
  const result = validateSource(source);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const issue of result.issues) {
    const shown = formatIssue(issue);
    ensure(issue.file === FILE, `wrong file: ${shown}`);
    ensure(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lines, `line out of range: ${shown}`);
    ensure(Number.isInteger(issue.col) && issue.col >= 1, `col out of range: ${shown}`);
    ensure(issue.severity === "error" || issue.severity === "warning", `severity: ${shown}`);
    ensure(typeof issue.message === "string" && issue.message.trim().length > 0, `empty message: ${shown}`);
    // Internals leaking into messages: a stack, an object printed as such, a lookup that missed.
    ensure(!/\n\s+at |\[object \w+\]/.test(issue.message), `internals in the message: ${shown}`);
    ensure(
      !/undefined/.test(issue.message) || mentions(text, source.data, "undefined"),
      `'undefined' in the message: ${shown}`,
    );
  }
  if (source.data !== undefined) {
    const lost = lostKey(source.doc, source.data);
    ensure(!lost, `a key lost between the YAML and the data: ${lost}`);
  }
  let outcome: Outcome;
  if (result.ok) {
    ensure(result.lab, "a valid lab is resolved");
    const lab = result.lab!;
    // Nothing the file defines is silently dropped (e.g. a key that sets a prototype).
    const data = source.data as Record<string, unknown>;
    for (const section of SECTIONS) {
      const inFile = Object.keys((data[section] as object | undefined) ?? {}).length;
      ensure(lab[section].length === inFile, `${section}: ${inFile} in the file, ${lab[section].length} in the lab`);
    }
    // Both OS families; the Debian plan also as the sandbox makes it (VLAN stand-ins, Docker restart allowed).
    const standins = (facts: Record<string, HostFacts>) =>
      Object.fromEntries(
        Object.entries(facts).map(([host, f]) => [
          host,
          { ...f, vlanStandins: lab.vlans.filter((v) => v.hosts.includes(host)).map((v) => v.id) },
        ]),
      );
    for (const os of ["rhel", "debian"] as const) {
      const plan =
        os === "rhel"
          ? buildPlan(lab, assumedFacts(lab, os))
          : buildPlan(lab, standins(assumedFacts(lab, os)), { allowDockerRestart: true });
      ensure(plan.hosts.map((h) => h.host).join() === lab.hosts.map((h) => h.name).join(), "a plan per host");
      for (const host of plan.hosts) {
        const ids = host.steps.map((s) => s.id);
        ensure(
          new Set(ids).size === ids.length,
          `step ids repeat on ${host.host} (${os}): ${ids.filter((id, i) => ids.indexOf(id) !== i).join(", ")}`,
        );
      }
      JSON.stringify(plan);
    }
    outcome = "valid";
  } else {
    ensure(result.lab === undefined, "an invalid lab is not resolved");
    outcome = source.data === undefined ? "yaml" : labSchema.safeParse(source.data).success ? "rules" : "schema";
  }
  const ms = performance.now() - started;
  ensure(ms < MAX_CASE_MS, `one case took ${Math.round(ms)} ms`);
  return outcome;
}

/** Counts outcomes, so a generator that stops reaching the rules and the planner is noticed. */
export class Tally {
  readonly counts: Record<Outcome, number> = { yaml: 0, schema: 0, rules: 0, valid: 0 };
  add(outcome: Outcome): void {
    this.counts[outcome]++;
  }
  share(outcome: Outcome): number {
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : this.counts[outcome] / total;
  }
}

// ---------------------------------------------------------------------------------------
// The sample labs and what they are made of
// ---------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

const root = fileURLToPath(new URL("../..", import.meta.url));
const labFiles = readdirSync(join(root, "labs"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();
export const sampleTexts = labFiles.map((f) => readFileSync(join(root, "labs", f), "utf8"));
export const samples = sampleTexts.map((t) => parse(t) as Json);

const isContainer = (v: Json): v is Container => v !== null && typeof v === "object";

/** Set an own property, even "__proto__" (plain assignment would replace the prototype). */
function setKey(map: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

function clone(value: Json): Json {
  if (Array.isArray(value)) return value.map(clone);
  if (isContainer(value)) {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value)) setKey(out, key, clone(value[key]!));
    return out;
  }
  return value;
}

interface Slot {
  parent: Container;
  key: string | number;
  path: (string | number)[];
}

/** Every entry of the tree, depth first (the root itself is not a slot). */
function slotsOf(tree: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (node: Json, path: (string | number)[]) => {
    if (!isContainer(node) || path.length > 80) return;
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
    for (const key of keys) {
      out.push({ parent: node, key, path: [...path, key] });
      walk((node as Record<string, Json>)[key]!, [...path, key]);
    }
  };
  walk(tree, []);
  return out;
}

function containersOf(tree: Json): Container[] {
  return [
    ...(isContainer(tree) ? [tree] : []),
    ...slotsOf(tree)
      .map((s) => get(s))
      .filter(isContainer),
  ];
}

const get = (slot: Slot): Json => (slot.parent as Record<string, Json>)[slot.key]!;
function put(slot: Slot, value: Json): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else setKey(slot.parent, String(slot.key), value);
}
function remove(slot: Slot): void {
  if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
  else delete slot.parent[String(slot.key)];
}

/** Maps whose keys are names the lab chooses (hosts.docker01), not keys of the schema. */
const NAMED = new Set([
  "hosts",
  "vlans",
  "networks",
  "containers",
  "namespaces",
  "interfaces",
  "addresses",
  "aux_addresses",
]);

/** A slot's place in the schema: containers.*.ip, networks.*.subnets[].gateway. */
function shapeOf(path: (string | number)[]): string {
  return path
    .map((s, i) => (typeof s === "number" ? "[]" : i > 0 && NAMED.has(String(path[i - 1])) ? "*" : s))
    .join(".");
}

/** Keys (names included) and leaf values of every sample, and the values seen at each place of the schema. */
const keyPool = new Set<string>();
const leafPool: Json[] = [];
const byShape = new Map<string, Json[]>();
for (const sample of samples) {
  for (const slot of slotsOf(sample)) {
    const value = get(slot);
    if (typeof slot.key === "string") keyPool.add(slot.key);
    if (!isContainer(value)) leafPool.push(value);
    const shape = shapeOf(slot.path);
    byShape.set(shape, [...(byShape.get(shape) ?? []), value]);
  }
}
const keyNames = [...keyPool];

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

const HOSTILE = [
  "",
  " ",
  "  padded  ",
  "$(reboot)",
  "`id`",
  "'; rm -rf / #",
  "a\nb",
  "a\r\nb",
  "\u0000",
  "nul\u0000byte",
  "../../etc/passwd",
  "/",
  "-rf",
  "--help",
  "-",
  "a b",
  '"',
  "'",
  "\\",
  "%s%n",
  "${HOME}",
  "*",
  "?",
  "~",
  "\t",
  "#",
  ": ",
  "- ",
  "{}",
  "[]",
  "&a",
  "*a",
  "!!str",
  "|",
  ">",
  "@",
  "`",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "prototype",
  "__defineGetter__",
  "isPrototypeOf",
  "null",
  "true",
  "yes",
  "no",
  "on",
  "off",
  "NaN",
  ".inf",
  "0x10",
  "0o17",
  "1e3",
  "-1",
  "010",
  "1_000",
  "12:30",
  "2001-12-14",
  "a".repeat(5000),
  "1".repeat(400),
  "x".repeat(16),
  "ens33.".repeat(10),
];
const NETWORKY = [
  "172.16.10.0/24",
  "172.16.10.255",
  "172.16.10.0",
  "0.0.0.0",
  "255.255.255.255",
  "0.0.0.0/0",
  "1.2.3.4/33",
  "1.2.3.4/32",
  "1.2.3.4/31",
  "1.2.3.5/31",
  "172.16.10.10/32",
  "01.02.03.04",
  "1.2.3",
  "1.2.3.4.5",
  "256.1.1.1",
  "1.2.3.4/",
  "/24",
  "1.2.3.4/024",
  "1.2.3.4/-1",
  "::",
  "::1",
  "::/0",
  "fd00::/0",
  "fd00:10::10/129",
  "fd00:10::/64",
  "fd00:10::",
  "fd00:10::ffff:ffff:ffff:ffff",
  "2001:db8::/127",
  "2001:db8::/128",
  "::ffff:1.2.3.4",
  "::ffff:1.2.3.4/120",
  "fe80::1%eth0",
  "fe80::1%eth0/64",
  "1::2::3",
  ":::",
  "fd00:10::10/64",
  "FD00:10::A",
  "ens33",
  "ens33.10",
  "ens33.20",
  "ens33.4094",
  "ens33.4095",
  "ens33.0",
  "ens33.99999",
  "ens33.010",
  "ens33.1.2",
  "lo",
  "eth0",
  "docker0",
  "a234567890123456",
  "1",
  "10",
  "20",
  "4094",
  "4095",
  "0",
  "99999",
  "busybox",
  "busybox:latest",
  "registry:2",
  "localhost:5000/busybox",
  "BUSYBOX",
  "busybox@sha256:" + "a".repeat(64),
  "macvlan",
  "ipvlan",
  "macvtap",
  "bridge",
  "private",
  "vepa",
  "passthru",
  "l2",
  "l3",
  "l3s",
  "rhel",
  "debian",
  "auto",
  "ifcfg",
  "none",
  "reachable",
  "unreachable",
  "docker01",
  "docker02",
  "host1",
  "root",
  "student",
];
const UNICODE = [
  "ℌost",
  "é",
  "e\u0301",
  "\u200b",
  "a\u200bb",
  "\u202eevil",
  "\ud800",
  "x\udfffy",
  "😀",
  "👩‍👩‍👧",
  "１７２.１６.１０.１０",
  "١٧٢.١٦.١٠.١٠",
  "İ",
  "ı",
  "ß",
  "ﬁ",
  "\u0085",
  "a\u2028b",
  "\ufeff",
  "\ufeffname",
  "\u00a0",
  "Ω",
  "\u{10FFFF}",
  "docker\u200d01",
  "dоcker01" /* Cyrillic o */,
];
const NUMBERS = [
  0,
  -0,
  1,
  -1,
  2,
  10,
  11,
  20,
  22,
  4094,
  4095,
  5000,
  65535,
  65536,
  3600,
  3601,
  0.5,
  1.1,
  1.1,
  1e21,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_VALUE,
  Number.EPSILON,
  Infinity,
  -Infinity,
  NaN,
  2 ** 64,
  172.161,
];

const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_.-]{0,12}$/);
const scalar: fc.Arbitrary<Json> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...leafPool, ...keyNames) },
  { weight: 3, arbitrary: fc.constantFrom<Json>(...NETWORKY) },
  { weight: 2, arbitrary: fc.constantFrom<Json>(...HOSTILE) },
  { weight: 1, arbitrary: fc.constantFrom<Json>(...UNICODE) },
  { weight: 2, arbitrary: fc.constantFrom<Json>(...NUMBERS) },
  { weight: 1, arbitrary: fc.constantFrom<Json>(true, false, null) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: name },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
);
const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...keyNames) },
  { weight: 2, arbitrary: name },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...HOSTILE, ...UNICODE, ...NETWORKY.filter((s): s is string => typeof s === "string")),
  },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
);
const value: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 8, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie("value"), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(keyArb, tie("value")), { maxLength: 4 }).map((pairs) => {
        const map: { [key: string]: Json } = {};
        for (const [k, v] of pairs) setKey(map, k, v);
        return map;
      }),
    },
  ),
})).value;

// ---------------------------------------------------------------------------------------
// Structure-aware mutations of the parsed sample labs
// ---------------------------------------------------------------------------------------

type Mutation =
  | { kind: "replace"; at: number; value: Json }
  | { kind: "sameKey"; at: number; pick: number }
  | { kind: "delete"; at: number }
  | { kind: "rename"; at: number; key: string }
  | { kind: "insert"; at: number; key: string; value: Json }
  | { kind: "duplicate"; at: number; key: string }
  | { kind: "swap"; at: number; with: number }
  | { kind: "graft"; at: number; lab: number; from: number }
  | { kind: "nest"; at: number; depth: number; asMap: boolean };

const at = fc.nat();
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("replace" as const), at, value }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("sameKey" as const), at, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), at }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("rename" as const), at, key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("insert" as const), at, key: keyArb, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), at, key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("swap" as const), at, with: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("graft" as const), at, lab: fc.nat(), from: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("nest" as const),
      at,
      depth: fc.integer({ min: 1, max: 64 }),
      asMap: fc.boolean(),
    }),
  },
);

function mutate(tree: Json, m: Mutation): Json {
  const slots = slotsOf(tree);
  if (slots.length === 0) return m.kind === "replace" ? m.value : tree;
  const slot = slots[m.at % slots.length]!;
  switch (m.kind) {
    case "replace":
      put(slot, clone(m.value));
      break;
    case "sameKey": {
      // A value seen at the same place in some sample: well-typed, often still valid.
      const seen = byShape.get(shapeOf(slot.path)) ?? leafPool;
      put(slot, clone(seen[m.pick % seen.length]!));
      break;
    }
    case "delete":
      remove(slot);
      break;
    case "rename": {
      if (Array.isArray(slot.parent)) break;
      const v = get(slot);
      remove(slot);
      setKey(slot.parent, m.key, v);
      break;
    }
    case "insert": {
      const containers = containersOf(tree);
      const target = containers[m.at % containers.length]!;
      if (Array.isArray(target)) target.push(clone(m.value));
      else setKey(target, m.key, clone(m.value));
      break;
    }
    case "duplicate": {
      // Another entry just like this one: a second host, network or container with the same content.
      if (Array.isArray(slot.parent)) slot.parent.push(clone(get(slot)));
      else setKey(slot.parent, m.key, clone(get(slot)));
      break;
    }
    case "swap": {
      const other = slots[m.with % slots.length]!;
      const [a, b] = [get(slot), get(other)];
      put(slot, clone(b));
      put(other, clone(a));
      break;
    }
    case "graft": {
      const donor = samples[m.lab % samples.length]!;
      const donorSlots = slotsOf(donor);
      put(slot, clone(get(donorSlots[m.from % donorSlots.length]!)));
      break;
    }
    case "nest": {
      let v = get(slot);
      for (let i = 0; i < m.depth; i++) v = m.asMap ? { [typeof slot.key === "string" ? slot.key : "x"]: v } : [v];
      put(slot, v);
      break;
    }
  }
  return tree;
}

const styles = fc.record({
  collectionStyle: fc.constantFrom("any", "block", "flow") as fc.Arbitrary<"any" | "block" | "flow">,
  defaultStringType: fc.constantFrom(
    "PLAIN",
    "PLAIN",
    "PLAIN",
    "QUOTE_DOUBLE",
    "QUOTE_SINGLE",
    "BLOCK_LITERAL",
    "BLOCK_FOLDED",
  ) as fc.Arbitrary<Scalar.Type>,
  defaultKeyType: fc.constantFrom(null, "PLAIN", "QUOTE_DOUBLE") as fc.Arbitrary<Scalar.Type | null>,
  indent: fc.integer({ min: 1, max: 6 }),
  indentSeq: fc.boolean(),
  lineWidth: fc.constantFrom(0, 12, 80),
});

// ---------------------------------------------------------------------------------------
// Labs made from a grammar: hosts, VLANs, networks, containers, namespaces, registry, shim and
// checks that refer to each other, often valid, so the rules and the planner see topologies
// the samples do not have (passthru and private modes on a shared parent, ipvlan l3 across
// hosts, IPv6 only, ip_range, aux addresses, trunk parents, explicit and routed checks).
// ---------------------------------------------------------------------------------------

const MODES: Record<string, string[]> = {
  macvlan: ["bridge", "private", "vepa", "passthru"],
  macvtap: ["bridge", "private", "vepa", "passthru"],
  ipvlan: ["l2", "l3", "l3s"],
};
const pickOf = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
/** Mostly null: the common case of a key left out. */
const seldom = <T>(arb: fc.Arbitrary<T>, weight = 4): fc.Arbitrary<T | null> =>
  fc.oneof({ weight, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
/** A mode for the driver, now and then one of another driver's. */
const modeArb = fc.option(fc.tuple(fc.nat(), fc.nat({ max: 9 })));
const modeFor = (driver: string, mode: [number, number] | null): { mode?: string } =>
  mode === null
    ? {}
    : {
        mode: mode[1] === 0 ? pickOf([...MODES.macvlan!, ...MODES.ipvlan!], mode[0]) : pickOf(MODES[driver]!, mode[0]),
      };

export const synthesized: fc.Arbitrary<Json> = fc
  .record({
    hosts: fc.array(
      fc.record({
        os: seldom(fc.constantFrom("auto", "rhel", "debian"), 1),
        persist: seldom(fc.constantFrom("auto", "ifcfg", "debian", "none"), 1),
        nic: seldom(fc.constantFrom("eth0", "e")),
        sudo: seldom(fc.constantFrom<Json>(true, false, { password_env: "LAB_SUDO" })),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    nic: fc.constantFrom("ens33", "eth0", "enp0s31f6x"),
    vlans: fc.uniqueArray(fc.constantFrom(1, 10, 20, 30, 4094), { maxLength: 3 }),
    vlanAddresses: fc.boolean(),
    networks: fc.array(
      fc.record({
        driver: fc.constantFrom("macvlan", "macvlan", "ipvlan"),
        parent: fc.nat(),
        shareParent: fc.nat({ max: 5 }),
        mode: modeArb,
        v4: fc.boolean(),
        v6: fc.boolean(),
        gateway: fc.boolean(),
        ipRange: fc.boolean(),
        aux: fc.boolean(),
        internal: fc.boolean(),
        onHosts: seldom(fc.nat()),
      }),
      { maxLength: 3 },
    ),
    containers: fc.array(
      fc.record({
        host: fc.nat(),
        network: fc.nat(),
        ip: fc.option(fc.integer({ min: 0, max: 9 }), { freq: 6 }),
        ipv6: fc.option(fc.integer({ min: 0, max: 9 })),
        command: seldom(fc.constantFrom<Json>("sleep 1d", ["sleep", "1d"], "echo 'quoted $x'")),
      }),
      { maxLength: 5 },
    ),
    namespaces: fc.array(
      fc.record({
        host: fc.nat(),
        interfaces: fc.array(
          fc.record({
            kind: fc.constantFrom("macvlan", "macvlan", "macvtap", "ipvlan"),
            parent: fc.nat(),
            mode: modeArb,
            address: fc.option(fc.integer({ min: 0, max: 20 }), { freq: 6 }),
            v6: fc.boolean(),
          }),
          { minLength: 1, maxLength: 2 },
        ),
        gateway: seldom(fc.constant(true), 2),
      }),
      { maxLength: 3 },
    ),
    registry: seldom(
      fc.record({
        host: fc.nat(),
        port: seldom(fc.integer({ min: 1, max: 65535 }), 2),
        images: fc.subarray(
          [
            "busybox:latest",
            "alpine:3.20",
            "localhost:5000/x/y:1",
            "docker.io/library/busybox@sha256:" + "b".repeat(64),
          ],
          { minLength: 1 },
        ),
      }),
      2,
    ),
    shim: seldom(
      fc.record({
        host: fc.nat(),
        network: fc.nat(),
        route: fc.boolean(),
        name: seldom(fc.constantFrom("shim0", "lab-shim")),
      }),
      2,
    ),
    checks: fc.record({
      matrix: seldom(fc.boolean(), 2),
      explicit: fc.array(
        fc.record({
          from: fc.nat(),
          to: fc.nat(),
          expect: fc.constantFrom("reachable", "unreachable"),
          ipv6: seldom(fc.boolean(), 2),
        }),
        { maxLength: 3 },
      ),
      routed: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 2 }),
      count: seldom(fc.integer({ min: 1, max: 10 })),
      timeout: seldom(fc.constantFrom(0.2, 1, 3600)),
    }),
  })
  .map((g) => {
    const hostNames = g.hosts.map((_, i) => `host${i + 1}`);
    const hosts: { [key: string]: { [key: string]: Json } } = {};
    g.hosts.forEach((h, i) => {
      hosts[hostNames[i]!] = {
        address: `192.168.1.${11 + i}`,
        ...(h.os !== null ? { os: h.os } : {}),
        ...(h.persist !== null ? { persist: h.persist } : {}),
        ...(h.nic !== null ? { nic: h.nic } : {}),
        ...(h.sudo !== null ? { sudo: h.sudo } : {}),
      };
    });
    const nicOf = (host: string) => String(hosts[host]!.nic ?? g.nic);
    // A parent: the NIC, one of the VLANs, or (networks only) a VLAN Docker makes itself (trunk mode).
    const parentOf = (i: number, host: string, trunk: boolean) =>
      pickOf([nicOf(host), ...g.vlans.map((id) => `${nicOf(host)}.${id}`), ...(trunk ? [`${nicOf(host)}.50`] : [])], i);
    const vlans: { [key: string]: Json } = {};
    g.vlans.forEach((id, i) => {
      vlans[String(id)] = g.vlanAddresses
        ? {
            addresses: Object.fromEntries(hostNames.map((h, j) => [h, `10.${i}.0.${j + 1}/24`])),
            gateway: `10.${i}.0.254`,
          }
        : {};
    });
    const networkNames = g.networks.map((_, i) => `net${i + 1}`);
    const networks: { [key: string]: Json } = {};
    g.networks.forEach((n, i) => {
      const v4 = n.v4 || !n.v6;
      const subnets: Json[] = [];
      if (v4) {
        subnets.push({
          subnet: `172.16.${10 + i}.0/24`,
          ...(n.gateway ? { gateway: `172.16.${10 + i}.1` } : {}),
          ...(n.ipRange ? { ip_range: `172.16.${10 + i}.0/28` } : {}),
          ...(n.aux ? { aux_addresses: { shim: `172.16.${10 + i}.5` } } : {}),
        });
      }
      if (n.v6) subnets.push({ subnet: `fd00:${10 + i}::/64`, ...(n.gateway ? { gateway: `fd00:${10 + i}::1` } : {}) });
      networks[networkNames[i]!] = {
        driver: n.driver,
        // Mostly a parent of its own (Docker allows one network per parent).
        parent: parentOf(n.shareParent === 0 ? n.parent : i, hostNames[0]!, true),
        ...modeFor(n.driver, n.mode),
        subnets,
        ...(n.internal ? { internal: true } : {}),
        ...(n.onHosts !== null ? { hosts: hostNames.slice(0, 1 + (n.onHosts % hostNames.length)) } : {}),
      };
    });
    const containers: { [key: string]: Json } = {};
    if (networkNames.length) {
      g.containers.forEach((c, i) => {
        const n = c.network % networkNames.length;
        const spec = g.networks[n]!;
        const on = (networks[networkNames[n]!] as { hosts?: string[] }).hosts ?? hostNames;
        containers[`c${i + 1}`] = {
          host: pickOf(on, c.host),
          network: networkNames[n]!,
          ...(c.ip !== null && (spec.v4 || !spec.v6)
            ? { ip: `172.16.${10 + n}.${10 + (spec.ipRange ? c.ip % 5 : c.ip)}` }
            : {}),
          ...(c.ipv6 !== null && spec.v6 ? { ipv6: `fd00:${10 + n}::${10 + c.ipv6}` } : {}),
          image: g.registry?.images[0] ?? "busybox:latest",
          ...(c.command !== null ? { command: c.command } : {}),
        };
      });
    }
    const namespaces: { [key: string]: Json } = {};
    g.namespaces.forEach((ns, i) => {
      const host = pickOf(hostNames, ns.host);
      const interfaces: { [key: string]: Json } = {};
      ns.interfaces.forEach((f, j) => {
        interfaces[`mv${j}`] = {
          kind: f.kind,
          parent: parentOf(f.parent, host, false),
          ...modeFor(f.kind, f.mode),
          ...(f.address !== null
            ? { address: f.v6 ? `fd00:99::${f.address + 1}/64` : [`10.99.0.${f.address + 1}/24`] }
            : {}),
        };
      });
      namespaces[`ns${i + 1}`] = { host, interfaces, ...(ns.gateway ? { gateway: "10.99.0.254" } : {}) };
    });
    const endpoints = [...Object.keys(containers), ...Object.keys(namespaces)];
    const checks: { [key: string]: Json } = {};
    if (g.checks.matrix !== null) checks.matrix = g.checks.matrix;
    if (endpoints.length > 1) {
      checks.explicit = g.checks.explicit.map((c) => {
        const from = c.from % endpoints.length;
        return {
          from: endpoints[from]!,
          to: endpoints[(from + 1 + (c.to % (endpoints.length - 1))) % endpoints.length]!,
          expect: c.expect,
          ...(c.ipv6 !== null ? { ipv6: c.ipv6 } : {}),
        };
      });
    }
    if (networkNames.length)
      checks.routed = g.checks.routed.map(([a, b]) => [pickOf(networkNames, a), pickOf(networkNames, b)]);
    if (g.checks.count !== null) checks.count = g.checks.count;
    if (g.checks.timeout !== null) checks.timeout = g.checks.timeout;
    const macvlans = networkNames.filter(
      (_, i) => g.networks[i]!.driver === "macvlan" && (g.networks[i]!.v4 || !g.networks[i]!.v6),
    );
    if (g.shim && macvlans.length) {
      const net = pickOf(macvlans, g.shim.network);
      const n = networkNames.indexOf(net);
      const on = (networks[net] as { hosts?: string[] }).hosts ?? hostNames;
      hosts[pickOf(on, g.shim.host)]!.shim = {
        network: net,
        address: `172.16.${10 + n}.5`,
        ...(g.shim.route ? { route: `172.16.${10 + n}.0/24` } : {}),
        ...(g.shim.name !== null ? { name: g.shim.name } : {}),
      };
    }
    const lab: { [key: string]: Json } = {
      name: "synth",
      defaults: { nic: g.nic },
      hosts,
      modules: ["8021q", "macvlan"],
    };
    if (g.vlans.length) lab.vlans = vlans;
    if (networkNames.length) lab.networks = networks;
    if (Object.keys(containers).length) lab.containers = containers;
    if (Object.keys(namespaces).length) lab.namespaces = namespaces;
    if (g.registry)
      lab.registry = {
        host: pickOf(hostNames, g.registry.host),
        ...(g.registry.port !== null ? { port: g.registry.port } : {}),
        images: g.registry.images,
      };
    lab.checks = checks;
    return lab;
  });

/** A sample lab or a synthesized one, mutated a few times. */
const mutatedTree = fc
  .record({
    start: fc.oneof(
      { weight: 2, arbitrary: fc.nat({ max: samples.length - 1 }).map((i) => clone(samples[i]!)) },
      { weight: 1, arbitrary: synthesized },
    ),
    mutations: fc.array(mutation, { maxLength: 6 }),
  })
  .map(({ start, mutations }) => {
    let tree = start;
    for (const m of mutations) tree = mutate(tree, m);
    return tree;
  });

/** A mutated sample lab, printed in some style. */
export const mutatedLab = fc
  .tuple(mutatedTree, styles)
  .map(([tree, style]) => stringify(tree, { ...style, aliasDuplicateObjects: false }));

// ---------------------------------------------------------------------------------------
// YAML oddities, made on the document's nodes
// ---------------------------------------------------------------------------------------

const TAGS = [
  "tag:yaml.org,2002:str",
  "tag:yaml.org,2002:int",
  "tag:yaml.org,2002:float",
  "tag:yaml.org,2002:bool",
  "tag:yaml.org,2002:null",
  "tag:yaml.org,2002:map",
  "tag:yaml.org,2002:seq",
  "tag:yaml.org,2002:binary",
  "tag:yaml.org,2002:set",
  "tag:yaml.org,2002:omap",
  "tag:yaml.org,2002:pairs",
  "tag:yaml.org,2002:timestamp",
  "tag:yaml.org,2002:merge",
  "!custom",
  "!",
  "!!",
];

type Oddity =
  | { kind: "alias"; anchor: number; target: number; asKey: boolean }
  | { kind: "tag"; at: number; tag: string }
  | { kind: "style"; at: number; type: Scalar.Type; flow: boolean }
  | { kind: "complexKey"; at: number; key: Json }
  | { kind: "merge"; at: number; anchor: number }
  | { kind: "comment"; at: number; text: string }
  | { kind: "twinKey"; at: number };

const oddity: fc.Arbitrary<Oddity> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("alias" as const), anchor: at, target: at, asKey: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("tag" as const), at, tag: fc.constantFrom(...TAGS) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("style" as const),
      at,
      type: fc.constantFrom(
        "PLAIN",
        "QUOTE_DOUBLE",
        "QUOTE_SINGLE",
        "BLOCK_LITERAL",
        "BLOCK_FOLDED",
      ) as fc.Arbitrary<Scalar.Type>,
      flow: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("complexKey" as const), at, key: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("merge" as const), at, anchor: at }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("comment" as const),
      at,
      text: fc.constantFrom(...UNICODE, ...HOSTILE.slice(0, 20)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("twinKey" as const), at }) },
);

interface Place {
  node: Node;
  /** Put another node here. */
  replace: (n: Node) => void;
  pair?: Pair;
}

function placesOf(doc: Document): Place[] {
  const out: Place[] = [];
  visit(doc, {
    Pair: (_, pair) => {
      if (isPair(pair) && pair.value && (isScalar(pair.value) || isCollection(pair.value))) {
        out.push({ node: pair.value as Node, replace: (n) => (pair.value = n), pair: pair as Pair });
      }
    },
    Seq: (_, seq) => {
      seq.items.forEach((item, i) => {
        if (isScalar(item) || isCollection(item)) out.push({ node: item as Node, replace: (n) => (seq.items[i] = n) });
      });
    },
  });
  return out;
}

function applyOddity(doc: Document, o: Oddity, n: number): void {
  const places = placesOf(doc);
  if (places.length === 0) return;
  const pick = (i: number) => places[i % places.length]!;
  switch (o.kind) {
    case "alias": {
      const anchored = pick(o.anchor);
      const alias = doc.createAlias(anchored.node as Scalar, `a${n}`);
      const target = pick(o.target);
      if (o.asKey && target.pair) target.pair.key = alias;
      else target.replace(alias);
      break;
    }
    case "tag":
      pick(o.at).node.tag = o.tag;
      break;
    case "style": {
      const node = pick(o.at).node;
      if (isScalar(node)) node.type = o.type;
      else if (isMap(node) || isSeq(node)) node.flow = o.flow;
      break;
    }
    case "complexKey": {
      const place = pick(o.at);
      if (place.pair) place.pair.key = doc.createNode(o.key);
      break;
    }
    case "merge": {
      const maps = places.filter((p) => isMap(p.node));
      if (maps.length === 0) return;
      const target = maps[o.at % maps.length]!.node as { items: Pair[] };
      const source = maps[o.anchor % maps.length]!.node;
      target.items.push(new Pair(new Scalar("<<"), doc.createAlias(source as Scalar, `m${n}`)));
      break;
    }
    case "comment":
      pick(o.at).node.commentBefore = o.text;
      break;
    case "twinKey": {
      // The same key once more, written as another type: 10 and "10", true and "true", ~ and "".
      const typed = places.filter(
        (p) => isScalar(p.pair?.key) && /^(\d+|true|false|)$/.test(String(p.pair.key.value ?? "")),
      );
      const place = typed.length > 0 ? typed[o.at % typed.length]! : pick(o.at);
      const key = place.pair?.key;
      if (!isScalar(key)) return;
      const text = String(key.value ?? "");
      const twin = /^\d+$/.test(text)
        ? new Scalar(Number(text))
        : text === "true" || text === "false"
          ? new Scalar(text === "true")
          : text === ""
            ? new Scalar(null)
            : new Scalar(text);
      if (typeof twin.value === "string") twin.type = "QUOTE_DOUBLE";
      const map = [doc.contents, ...places.map((p) => p.node)].find((n) => isMap(n) && n.items.includes(place.pair!));
      if (isMap(map)) map.items.push(new Pair(twin, place.node));
      break;
    }
  }
}

export const oddLab = fc
  .record({
    tree: mutatedTree,
    style: styles,
    oddities: fc.array(oddity, { minLength: 1, maxLength: 4 }),
    yaml11: fc.boolean(),
    explicitStart: fc.boolean(),
  })
  .map(({ tree, style, oddities, yaml11, explicitStart }) => {
    const doc = new Document(tree, { aliasDuplicateObjects: false });
    oddities.forEach((o, i) => applyOddity(doc, o, i));
    let out: string;
    try {
      out = doc.toString(style);
    } catch {
      // Some combinations cannot be printed (an alias before its anchor): print the tree as it was.
      out = stringify(tree, style);
    }
    // YAML 1.1 reads yes/no/on/off as booleans, 010 as octal, 1:20 as base 60, dates as timestamps.
    if (yaml11) return `%YAML 1.1\n---\n${out}`;
    return explicitStart ? `---\n${out}...\n` : out;
  });

// ---------------------------------------------------------------------------------------
// Raw text mutations
// ---------------------------------------------------------------------------------------

const TOKENS = [
  "\n",
  "\r\n",
  "\r",
  "\t",
  " ",
  "  ",
  ":",
  ": ",
  "- ",
  "-",
  "?",
  "? ",
  ",",
  "[",
  "]",
  "{",
  "}",
  "'",
  '"',
  "#",
  "&a ",
  "*a",
  "&a",
  "*b",
  "!!str ",
  "!!binary ",
  "!!set ",
  "!!map ",
  "!!seq ",
  "!custom ",
  "!<tag:x> ",
  "|",
  ">",
  "|-",
  ">+",
  "%YAML 1.1\n---\n",
  "---\n",
  "...\n",
  "--- |\n",
  "<<: ",
  "\ufeff",
  "\u0000",
  "\u2028",
  "\u0085",
  "\\",
  "\\x00",
  "@",
  "`",
  "%",
  "0x",
  "-1",
  "1e400",
  ".nan",
  "~",
  "null",
  "__proto__: ",
  "hosts: ",
  "name: ",
  "address: ",
  "networks: {}\n",
  "containers: []\n",
];

type Edit =
  | { kind: "insert"; at: number; token: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "char"; at: number; char: string }
  | { kind: "dupLine"; line: number }
  | { kind: "dropLine"; line: number }
  | { kind: "swapLines"; line: number; with: number }
  | { kind: "indent"; line: number; by: number; tab: boolean }
  | { kind: "truncate"; at: number }
  | { kind: "crlf" }
  | { kind: "bom" };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at,
      token: fc.oneof(
        fc.constantFrom(...TOKENS),
        fc.constantFrom(...UNICODE),
        fc.string({ unit: "binary", maxLength: 8 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 30 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("char" as const),
      at,
      char: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("dupLine" as const), line: at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dropLine" as const), line: at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("swapLines" as const), line: at, with: at }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("indent" as const),
      line: at,
      by: fc.integer({ min: -4, max: 4 }),
      tab: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crlf" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "bom" as const }) },
);

function applyEdit(text: string, e: Edit): string {
  const lines = text.split("\n");
  const line = (i: number) => i % lines.length;
  switch (e.kind) {
    case "insert": {
      const i = e.at % (text.length + 1);
      return text.slice(0, i) + e.token + text.slice(i);
    }
    case "delete": {
      const i = e.at % (text.length + 1);
      return text.slice(0, i) + text.slice(i + e.length);
    }
    case "char": {
      const i = e.at % (text.length + 1);
      return text.slice(0, i) + e.char + text.slice(i + 1);
    }
    case "dupLine": {
      // Duplicate keys, duplicate list items.
      const i = line(e.line);
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case "dropLine":
      lines.splice(line(e.line), 1);
      return lines.join("\n");
    case "swapLines": {
      const [i, j] = [line(e.line), line(e.with)];
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join("\n");
    }
    case "indent": {
      const i = line(e.line);
      const l = lines[i]!;
      lines[i] = e.by >= 0 ? (e.tab ? "\t" : " ").repeat(e.by) + l : l.replace(new RegExp(`^ {0,${-e.by}}`), "");
      return lines.join("\n");
    }
    case "truncate":
      return text.slice(0, e.at % (text.length + 1));
    case "crlf":
      return text.replace(/\n/g, "\r\n");
    case "bom":
      return "\ufeff" + text;
  }
}

export const editedText = fc
  .record({
    base: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...sampleTexts) }, { weight: 1, arbitrary: mutatedLab }),
    edits: fc.array(edit, { minLength: 1, maxLength: 5 }),
  })
  .map(({ base, edits }) => edits.reduce(applyEdit, base));

// ---------------------------------------------------------------------------------------
// Pathological inputs
// ---------------------------------------------------------------------------------------

/** "a: &a0 [x, x]\nb: &a1 [*a0, *a0]..." — w^depth nodes from a few lines. */
const aliasBomb = fc
  .record({
    width: fc.integer({ min: 2, max: 9 }),
    depth: fc.integer({ min: 1, max: 8 }),
    where: fc.constantFrom("top", "hosts", "description"),
  })
  .map(({ width, depth, where }) => {
    const lines = [`l0: &a0 [${Array(width).fill("x").join(", ")}]`];
    for (let i = 1; i <= depth; i++)
      lines.push(
        `l${i}: &a${i} [${Array(width)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    if (where === "top") return lines.join("\n") + "\n";
    const body = lines.map((l) => `  ${l}`).join("\n");
    return `name: bomb\n${where}:\n${body}\n${where === "description" ? "hosts: { h: { address: 10.0.0.1 } }\n" : ""}`;
  });

const deepNesting = fc
  .record({
    depth: fc.integer({ min: 50, max: 3_000 }),
    kind: fc.constantFrom("flowSeq", "flowMap", "blockSeq", "blockMap", "unclosed"),
    where: fc.constantFrom("hosts", "address", "top"),
  })
  .map(({ depth, kind, where }) => {
    let nested: string;
    if (kind === "flowSeq") nested = "[".repeat(depth) + "]".repeat(depth);
    else if (kind === "flowMap") nested = "{a: ".repeat(depth) + "1" + "}".repeat(depth);
    else if (kind === "unclosed") nested = "[{".repeat(depth);
    else {
      const step = kind === "blockSeq" ? "- " : "k: ";
      nested = "\n" + Array.from({ length: Math.min(depth, 400) }, (_, i) => " ".repeat(i + 1) + step).join("\n") + "x";
    }
    if (where === "top") return nested + "\n";
    if (where === "hosts") return `name: deep\nhosts: ${nested}\n`;
    return `name: deep\nhosts:\n  h1:\n    address: ${nested}\n`;
  });

/** Many entries: the rules compare every address with every other one. */
const manyEntries = fc
  .record({ n: fc.integer({ min: 1, max: 60 }), clash: fc.boolean(), lab: fc.nat({ max: samples.length - 1 }) })
  .map(({ n, clash, lab }) => {
    const tree = clone(samples[lab]!) as { [key: string]: Json };
    const hosts = Object.keys((tree.hosts as object) ?? {});
    const networks = Object.entries((tree.networks as Record<string, { subnets?: { subnet?: string }[] }>) ?? {});
    const containers: { [key: string]: Json } = {};
    for (let i = 0; i < n; i++) {
      const [net, spec] = networks[i % Math.max(1, networks.length)] ?? ["none", {}];
      const base = String(spec.subnets?.[0]?.subnet ?? "10.0.0.0/16")
        .split("/")[0]!
        .split(".")
        .slice(0, 3)
        .join(".");
      containers[`c${i}`] = {
        host: hosts[i % hosts.length] ?? "h",
        network: net,
        ip: `${base}.${clash ? 10 + (i % 3) : 10 + (i % 240)}`,
        image: "busybox:latest",
      };
    }
    tree.containers = containers;
    return stringify(tree);
  });

const longLines = fc
  .record({
    length: fc.integer({ min: 1_000, max: 200_000 }),
    where: fc.constantFrom("key", "value", "name", "comment"),
  })
  .map(({ length, where }) => {
    const long = "a".repeat(length);
    if (where === "key") return `name: long\nhosts:\n  ${long}: { address: 10.0.0.1 }\n`;
    if (where === "value") return `name: long\nhosts:\n  h1: { address: ${long} }\n`;
    if (where === "name")
      return `name: ${long}\nhosts:\n  h1: { address: 10.0.0.1 }\n  ${long.slice(0, 40)}: { address: 10.0.0.1 }\n`;
    return `# ${long}\nname: long\nhosts:\n  h1: { address: 10.0.0.1 }\n`;
  });

export const pathological = fc.oneof(
  aliasBomb,
  deepNesting,
  manyEntries,
  longLines,
  fc.constant(""),
  fc.constant("---\n---\n"),
  fc.constant("&a [*a]"),
  fc.constant("name: x\nhosts: &h { h1: *h }\n"),
);
