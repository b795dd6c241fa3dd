/** Fuzz inputs, part 1: the sample labs and the pools of keys, values and hostile strings drawn from. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Container = Json[] | { [key: string]: Json };

const root = fileURLToPath(new URL("../..", import.meta.url));
const labFiles = readdirSync(join(root, "labs"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();
export const sampleTexts = labFiles.map((f) => readFileSync(join(root, "labs", f), "utf8"));
export const samples = sampleTexts.map((t) => parse(t) as Json);

const isContainer = (v: Json): v is Container => v !== null && typeof v === "object";

/** Set an own property, even "__proto__" (plain assignment would replace the prototype). */
export function setKey(map: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

export function clone(value: Json): Json {
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
export function slotsOf(tree: Json): Slot[] {
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

export function containersOf(tree: Json): Container[] {
  return [
    ...(isContainer(tree) ? [tree] : []),
    ...slotsOf(tree)
      .map((s) => get(s))
      .filter(isContainer),
  ];
}

export const get = (slot: Slot): Json => (slot.parent as Record<string, Json>)[slot.key]!;
export function put(slot: Slot, value: Json): void {
  if (Array.isArray(slot.parent)) slot.parent[slot.key as number] = value;
  else setKey(slot.parent, String(slot.key), value);
}
export function remove(slot: Slot): void {
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
export function shapeOf(path: (string | number)[]): string {
  return path
    .map((s, i) => (typeof s === "number" ? "[]" : i > 0 && NAMED.has(String(path[i - 1])) ? "*" : s))
    .join(".");
}

/** Keys (names included) and leaf values of every sample, and the values seen at each place of the schema. */
const keyPool = new Set<string>();
export const leafPool: Json[] = [];
export const byShape = new Map<string, Json[]>();
for (const sample of samples) {
  for (const slot of slotsOf(sample)) {
    const value = get(slot);
    if (typeof slot.key === "string") keyPool.add(slot.key);
    if (!isContainer(value)) leafPool.push(value);
    const shape = shapeOf(slot.path);
    byShape.set(shape, [...(byShape.get(shape) ?? []), value]);
  }
}
export const keyNames = [...keyPool];

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

export const HOSTILE = [
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
export const NETWORKY = [
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
export const UNICODE = [
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
export const NUMBERS = [
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
