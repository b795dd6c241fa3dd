import { Address4, Address6 } from "ip-address";

/** An IPv4 or IPv6 prefix, with the address as a bigint for cheap arithmetic. */
export interface Cidr {
  version: 4 | 6;
  /** The address exactly as written before the slash (may have host bits set). */
  address: bigint;
  prefix: number;
  /** Network address (host bits cleared). */
  network: bigint;
  /** Last address of the prefix (the IPv4 broadcast address). */
  last: bigint;
  text: string;
}

export interface Ip {
  version: 4 | 6;
  value: bigint;
  text: string;
}

const bitsOf = (version: 4 | 6): number => (version === 4 ? 32 : 128);

/**
 * The one address grammar: dotted-quad IPv4, or IPv6 of hex digits and colons (an embedded
 * IPv4 tail allowed). No zone IDs: ip-address accepts `fe80::1%<almost anything>`, and an
 * address reaches shell-sourced files, commands and known_hosts lines.
 */
const IPV4_TEXT = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6_TEXT = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(?:\d{1,3}(?:\.\d{1,3}){3})?$/;

// Parsed once per text: a big lab's expectations compare the same few addresses thousands of times.
const ipCache = new Map<string, Ip | undefined>();
const cidrCache = new Map<string, Cidr | undefined>();

export function parseIp(text: string): Ip | undefined {
  if (typeof text !== "string") return undefined;
  if (!ipCache.has(text)) ipCache.set(text, parseIpOnce(text));
  return ipCache.get(text);
}

function parseIpOnce(text: string): Ip | undefined {
  if (text.includes("/")) return undefined;
  if (IPV4_TEXT.test(text) && Address4.isValid(text)) {
    return { version: 4, value: new Address4(text).bigInt(), text };
  }
  if (IPV6_TEXT.test(text) && Address6.isValid(text)) {
    return { version: 6, value: new Address6(text).bigInt(), text };
  }
  return undefined;
}

export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  if (!cidrCache.has(text)) cidrCache.set(text, parseCidrOnce(text));
  return cidrCache.get(text);
}

function parseCidrOnce(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (!ip || prefix > bitsOf(ip.version)) return undefined;
  const bits = BigInt(bitsOf(ip.version));
  const hostBits = bits - BigInt(prefix);
  const hostMask = (1n << hostBits) - 1n;
  const network = ip.value & ~hostMask & ((1n << bits) - 1n);
  return { version: ip.version, address: ip.value, prefix, network, last: network | hostMask, text };
}

export function cidrContains(cidr: Cidr, ip: Ip | Cidr): boolean {
  if (cidr.version !== ip.version) return false;
  if ("prefix" in ip) return ip.prefix >= cidr.prefix && ip.network >= cidr.network && ip.last <= cidr.last;
  return ip.value >= cidr.network && ip.value <= cidr.last;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.network <= b.last && b.network <= a.last;
}

/** True when the address has no host bits set, i.e. "172.16.10.0/24" and not "172.16.10.5/24". */
export function isNetworkAligned(cidr: Cidr): boolean {
  return cidr.address === cidr.network;
}

/** IPv4 network and broadcast addresses cannot be given to an interface (/31 and /32 excepted). */
export function isReservedInSubnet(cidr: Cidr, ip: Ip): boolean {
  if (cidr.version !== 4 || cidr.prefix >= 31)
    return cidr.version === 6 && ip.value === cidr.network && cidr.prefix < 127;
  return ip.value === cidr.network || ip.value === cidr.last;
}

export function formatIp(value: bigint, version: 4 | 6): string {
  if (version === 4) return Address4.fromBigInt(value).address;
  return Address6.fromBigInt(value).correctForm();
}

/** "192.168.10.10/24" → { ip: "192.168.10.10", prefix: 24 } */
export function splitInterfaceAddress(text: string): { ip: string; prefix: number } {
  const [ip, prefix] = text.split("/");
  return { ip: ip!, prefix: Number(prefix) };
}

export type Family = 4 | 6;

/**
 * The family of an address the lab file's grammar accepted (with or without a /prefix): the
 * one place IPv6 is told from IPv4 (an IPv6 address always has a colon, IPv4 never).
 */
export function familyOf(text: string): Family {
  return text.includes(":") ? 6 : 4;
}

export const isIpv6 = (text: string): boolean => familyOf(text) === 6;
