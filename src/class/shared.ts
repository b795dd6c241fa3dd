import { cidrContains, cidrsOverlap, formatIp, parseCidr, parseIp, type Cidr } from "../net/cidr.js";
import type { Lab } from "../labfile/model.js";

/**
 * What students who share hosts (or one L2 fabric) must not share: VLAN ids and subnets. Each
 * student gets their own, allocated in roster order; pure, so `lab class generate` can check
 * the whole class before it writes a file.
 */

const bits = (c: Cidr) => (c.version === 4 ? 32 : 128);
const cidrText = (network: bigint, prefix: number, version: 4 | 6) => `${formatIp(network, version)}/${prefix}`;
const networkOf = (c: Cidr): Cidr => parseCidr(cidrText(c.network, c.prefix, c.version))!;

/** Every VLAN id the lab uses: its own VLANs, and NIC.ID parents Docker makes in trunk mode. */
export function labVlanIds(lab: Lab): number[] {
  const ids = new Set(lab.vlans.map((v) => v.id));
  const parents = [
    ...lab.networks.map((n) => n.parent),
    ...lab.namespaces.flatMap((ns) => ns.interfaces.map((i) => i.parent)),
  ];
  for (const parent of parents) {
    const m = /\.([0-9]{1,4})$/.exec(parent);
    if (m) ids.add(Number(m[1]));
  }
  return [...ids].sort((a, b) => a - b);
}

/** Student `index` (0 first) gets base + index × (the lab's VLAN count) + j for the lab's j-th VLAN. */
export function vlanMapFor(ids: number[], base: number, index: number): Map<number, number> | string {
  const map = new Map(ids.map((id, j) => [id, base + index * ids.length + j]));
  const highest = Math.max(0, ...map.values());
  if (highest > 4094)
    return `VLAN ids run out: with --vlan-base ${base} and ${ids.length} VLAN${ids.length === 1 ? "" : "s"} per student, student ${index + 1} would need VLAN ${highest} (at most 4094)`;
  return map;
}

/**
 * The lab's own subnets: those of its Docker networks, VLAN addresses and namespace
 * interfaces, as networks; one inside another counts once (the outer one moves as a whole).
 */
export function labSubnets(lab: Lab): Cidr[] {
  const texts = [
    ...lab.networks.flatMap((n) => n.subnets.map((s) => s.subnet)),
    ...lab.vlans.flatMap((v) => Object.values(v.addresses).flat()),
    ...lab.namespaces.flatMap((ns) => ns.interfaces.flatMap((i) => i.addresses)),
    // A host shim's route is the student's own as well (a wider one moves as a whole).
    ...lab.hosts.flatMap((h) => (h.shim?.route ? [h.shim.route] : [])),
  ];
  const all = texts.map((t) => networkOf(parseCidr(t)!));
  const unique = all.filter(
    (c, i) => all.findIndex((o) => o.network === c.network && o.prefix === c.prefix && o.version === c.version) === i,
  );
  return unique
    .filter((c) => !unique.some((o) => o !== c && o.prefix < c.prefix && cidrContains(o, c)))
    .sort((a, b) => a.version - b.version || a.prefix - b.prefix || (a.network < b.network ? -1 : 1));
}

export interface SubnetMove {
  from: Cidr;
  to: Cidr;
}

/** Hands out blocks of a pool, never one that overlaps what was handed out or a reserved address. */
export class SubnetPool {
  private readonly given: Cidr[] = [];
  constructor(
    readonly pools: Cidr[],
    private readonly reserved: Cidr[],
  ) {}

  /** The next free block of `prefix` length in the pool of that version, or why there is none. */
  take(version: 4 | 6, prefix: number): Cidr | string {
    const pool = this.pools.find((p) => p.version === version);
    if (!pool) return `no IPv${version} --subnet-pool was given`;
    if (prefix < pool.prefix) return `a /${prefix} does not fit in --subnet-pool ${pool.text}`;
    const size = 1n << BigInt(bits(pool) - prefix);
    for (let at = pool.network; at + size - 1n <= pool.last;) {
      const block = parseCidr(cidrText(at, prefix, version))!;
      const clash = [...this.given, ...this.reserved].find((c) => cidrsOverlap(c, block));
      if (!clash) {
        this.given.push(block);
        return block;
      }
      // Jump past what is in the way, to the next aligned block.
      const past = clash.last + 1n;
      at = past <= at ? at + size : ((past + size - 1n) / size) * size;
    }
    return `--subnet-pool ${pool.text} is full (no free /${prefix} left)`;
  }
}

/** Each lab subnet moved to a free block of the same size. */
export function moveSubnets(subnets: Cidr[], pool: SubnetPool): SubnetMove[] | string {
  const moves: SubnetMove[] = [];
  for (const from of subnets) {
    const to = pool.take(from.version, from.prefix);
    if (typeof to === "string") return `subnet ${from.text}: ${to}`;
    moves.push({ from, to });
  }
  return moves;
}

/**
 * An address or prefix the lab file wrote, moved with its subnet (same offset inside it);
 * undefined when it is in none of the moved subnets.
 */
export function movedAddress(text: string, moves: SubnetMove[]): string | undefined {
  const slash = text.indexOf("/");
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip || (slash >= 0 && !parseCidr(text))) return undefined;
  const move = moves.find((m) => cidrContains(m.from, ip));
  if (!move) return undefined;
  const moved = formatIp(move.to.network + (ip.value - move.from.network), ip.version);
  return slash < 0 ? moved : `${moved}${text.slice(slash)}`;
}

export const DEFAULT_POOLS = ["10.200.0.0/16", "fd00:1ab::/48"];
export const DEFAULT_VLAN_BASE = 100;
