import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cidrContains,
  cidrsOverlap,
  formatIp,
  isNetworkAligned,
  isReservedInSubnet,
  parseCidr,
  parseIp,
} from "../../src/net/cidr.js";

/** Property tests for the address arithmetic every subnet and address rule relies on. */

const families = [
  { version: 4 as const, bits: 32, value: fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }) },
  { version: 6 as const, bits: 128, value: fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }) },
];

describe.each(families)("IPv$version", ({ version, bits, value }) => {
  const prefix = fc.integer({ min: 0, max: bits });
  const cidrOf = (v: bigint, p: number) => parseCidr(`${formatIp(v, version)}/${p}`)!;

  it("formatIp and parseIp round-trip", () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(parseIp(formatIp(v, version))?.value).toBe(v);
      }),
    );
  });

  it("parseCidr: network ≤ address ≤ last, the block has 2^(bits-prefix) addresses, network is aligned", () => {
    fc.assert(
      fc.property(value, prefix, (v, p) => {
        const c = cidrOf(v, p);
        const size = 1n << BigInt(bits - p);
        expect(c).toMatchObject({ version, prefix: p, address: v });
        expect(c.network <= v && v <= c.last).toBe(true);
        expect(c.last - c.network + 1n).toBe(size);
        expect(c.network % size).toBe(0n);
        expect(isNetworkAligned(c)).toBe(v === c.network);
        expect(isNetworkAligned(cidrOf(c.network, p))).toBe(true);
      }),
    );
  });

  it("cidrContains agrees with the numeric range [network, last]", () => {
    fc.assert(
      fc.property(value, prefix, value, (v, p, other) => {
        const c = cidrOf(v, p);
        const ip = parseIp(formatIp(other, version))!;
        expect(cidrContains(c, ip)).toBe(c.network <= other && other <= c.last);
      }),
    );
  });

  it("cidrsOverlap is symmetric and agrees with range intersection; a prefix contains its longer prefixes", () => {
    fc.assert(
      fc.property(value, prefix, value, prefix, (v1, p1, v2, p2) => {
        const a = cidrOf(v1, p1);
        const b = cidrOf(v2, p2);
        expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
        expect(cidrsOverlap(a, b)).toBe(a.network <= b.last && b.network <= a.last);
        expect(cidrContains(a, b)).toBe(b.prefix >= a.prefix && a.network <= b.network && b.last <= a.last);
        expect(cidrContains(a, cidrOf(v1, Math.max(p1, p2)))).toBe(true);
      }),
    );
  });
});

describe("parsing and reserved addresses", () => {
  it("rejects what is not an address or a prefix", () => {
    for (const text of [
      "172.16.10",
      "172.16.10.256",
      "172.16.10.0/33",
      "fd00::/129",
      "172.16.10.0/",
      "ens33",
      "1.10",
    ]) {
      expect(text.includes("/") ? parseCidr(text) : parseIp(text), text).toBeUndefined();
    }
    expect(parseIp("172.16.10.10/24")).toBeUndefined();
    expect(parseCidr("172.16.10.10")).toBeUndefined();
    expect(cidrContains(parseCidr("172.16.10.0/24")!, parseIp("fd00::1")!)).toBe(false);
  });

  it("IPv4 network and broadcast are reserved except in /31 and /32; IPv6 reserves the subnet-router anycast", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }), fc.integer({ min: 0, max: 32 }), (v, p) => {
        const c = parseCidr(`${formatIp(v, 4)}/${p}`)!;
        const reserved = (x: bigint) => isReservedInSubnet(c, parseIp(formatIp(x, 4))!);
        expect(reserved(c.network)).toBe(p < 31);
        expect(reserved(c.last)).toBe(p < 31);
        if (c.last - c.network > 1n) expect(reserved(c.network + 1n)).toBe(false);
      }),
    );
    const v6 = parseCidr("fd00:10::/64")!;
    expect(isReservedInSubnet(v6, parseIp("fd00:10::")!)).toBe(true);
    expect(isReservedInSubnet(v6, parseIp("fd00:10::ffff:ffff:ffff:ffff")!)).toBe(false);
  });
});
