import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Parents, segments, modes and address families are derived in src/topology/ (and the
 * address grammar in src/net/) and nowhere else: the telltale code of a second derivation is
 * refused anywhere outside them.
 */
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith(".ts") ? [join(dir, d.name)] : [],
  );
const outside = files("src").filter((f) => !f.startsWith("src/topology/") && !f.startsWith("src/net/"));

const telltales: [string, RegExp][] = [
  ["parses NIC.ID to tell a VLAN or trunk parent", /\\\.\(\\d\+\)\$/],
  ["picks a default mode itself", /["']bridge["']\s*:\s*["']l2["']|["']l2["']\s*:\s*["']bridge["']|mode \?\? \(/],
  ["tells IPv6 by a colon", /includes\(":"\)\s*(?:\?|===|!==|\)|;|&&|\|\|)/],
  ["names a segment by hand", /`vlan \$\{/],
];

describe("one place for topology rules", () => {
  for (const [what, pattern] of telltales) {
    it(`no module outside src/topology and src/net ${what}`, () => {
      const found = outside.filter((f) => pattern.test(readFileSync(f, "utf8")));
      expect(found).toEqual([]);
    });
  }

  it("the telltales do catch the code they describe", () => {
    expect(telltales[0]![1].test("const m = /^(.+)\\.(\\d+)$/.exec(parent);")).toBe(true);
    expect(telltales[1]![1].test('driver === "macvlan" ? "bridge" : "l2"')).toBe(true);
    expect(telltales[2]![1].test('address.includes(":") ? 6 : 4')).toBe(true);
    expect(telltales[3]![1].test("const segment = `vlan ${id}`;")).toBe(true);
  });
});
