/** Fuzz inputs, part 2: lab trees mutated (values, keys, subtrees) and labs synthesized by a small grammar. */
import fc from "fast-check";
import { stringify } from "yaml";
import {
  HOSTILE,
  NETWORKY,
  NUMBERS,
  UNICODE,
  byShape,
  clone,
  containersOf,
  get,
  keyNames,
  leafPool,
  put,
  remove,
  samples,
  setKey,
  shapeOf,
  slotsOf,
  type Json,
} from "./fuzz-pools.js";

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
export const value: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
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

export const at = fc.nat();
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

export const styles = fc.record({
  collectionStyle: fc.constantFrom<"any" | "block" | "flow">("any", "block", "flow"),
  defaultStringType: fc.constantFrom(
    "PLAIN",
    "PLAIN",
    "PLAIN",
    "QUOTE_DOUBLE",
    "QUOTE_SINGLE",
    "BLOCK_LITERAL",
    "BLOCK_FOLDED",
  ),
  defaultKeyType: fc.constantFrom(null, "PLAIN", "QUOTE_DOUBLE"),
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
    const nicOf = (host: string) => String((hosts[host]!.nic as string | null) ?? g.nic);
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
export const mutatedTree = fc
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
