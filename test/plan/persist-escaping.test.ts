import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseIp } from "../../src/net/cidr.js";
import { debianFile, ifcfgFile } from "../../src/plan/persist.js";
import type { VlanSpec } from "../../src/labfile/model.js";
import { validateText } from "../../src/labfile/validate.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * Addresses reach files a root shell sources at boot (ifcfg), ifupdown stanzas and commands.
 * One strict grammar (no IPv6 zone IDs), and whatever it accepts comes back unchanged from a
 * real `sh` sourcing the file, never running anything.
 */
const HOSTILE = [
  "%x;touch PWNED;echo",
  "%x`touch PWNED`",
  "%$(touch PWNED)",
  "%x,*",
  "%eth0",
  "%",
  " ",
  "\n touch PWNED",
  ";touch PWNED",
  "'",
  '"',
];

/** An address from the grammar's own generators, sometimes with a hostile tail. */
const address = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.constantFrom(...HOSTILE)).map(([a, tail]) => a + tail),
);

describe("the address grammar", () => {
  it("refuses IPv6 zone IDs and anything after the address", () => {
    for (const bad of ["fe80::1%x;touch x;echo", "fd00::2%x,*", "fe80::1%eth0", "fe80::1%", "10.0.0.1 ", "fd00::1\n"])
      expect(parseIp(bad), bad).toBeUndefined();
    for (const good of ["fe80::1", "fd00:10::10", "::ffff:10.0.0.1", "::", "172.16.10.10"])
      expect(parseIp(good), good).toBeDefined();
  });

  it("a lab with gateway6 or a host address carrying a zone ID fails validation at its line and column", () => {
    const text = [
      "name: zone",
      "hosts:",
      '  docker01: { address: "fd00::2%x,*" }',
      "  docker02: { address: 10.0.0.2 }",
      "vlans:",
      "  10:",
      "    addresses: { docker02: fd00:10::2/64 }",
      '    gateway6: "fe80::1%x;touch x;echo"',
      "",
    ].join("\n");
    const r = validateText("/labs/zone.yaml", text);
    expect(r.lab).toBeUndefined();
    const located = r.issues.filter((i) => i.severity === "error").map((i) => `${i.line}:${i.col}`);
    expect(located).toEqual(expect.arrayContaining(["3:24", "8:15"]));
  });
});

describe("persistence files with any address the grammar accepts", () => {
  const dir = scratchDir("persist");
  const vlan = (gateway: string | undefined, gateway6: string | undefined): VlanSpec =>
    ({ id: 10, gateway, gateway6, defaultRoute: true, hosts: undefined, addresses: {} }) as unknown as VlanSpec;

  it("ifcfg: sourced by a real sh, every value comes back unchanged and nothing runs", () => {
    let checked = 0;
    fc.assert(
      fc.property(address, address, address, (a, gw, gw6) => {
        const valid = [a, gw, gw6].map((x) => parseIp(x));
        if (valid.some((v) => v === undefined)) return; // validation refuses it: never written
        checked++;
        const v4 = valid[0]!.version === 4 ? [`${a}/24`] : [];
        const v6 = valid[0]!.version === 6 ? [`${a}/64`] : [];
        const file = ifcfgFile(
          "t",
          "ens33",
          vlan(valid[1]!.version === 4 ? gw : undefined, valid[2]!.version === 6 ? gw6 : undefined),
          [...v4, ...v6],
        );
        const path = join(dir, "ifcfg");
        writeFileSync(path, file.content);
        const r = spawnSync(
          "sh",
          ["-c", '. ./ifcfg && printf "%s|%s|%s|%s" "${IPADDR-}" "${GATEWAY-}" "${IPV6ADDR-}" "${IPV6_DEFAULTGW-}"'],
          { cwd: dir, encoding: "utf8" },
        );
        expect(r.status, r.stderr).toBe(0);
        expect(existsSync(join(dir, "PWNED"))).toBe(false);
        const expected = [
          v4.length ? a : "",
          v4.length && valid[1]!.version === 4 ? gw : "",
          v6.length ? `${a}/64` : "",
          v6.length && valid[2]!.version === 6 ? gw6 : "",
        ];
        expect(r.stdout).toBe(expected.join("|"));
      }),
      { seed: 1414, numRuns: 300 },
    );
    expect(checked).toBeGreaterThan(50);
  });

  it("ifupdown: values are plain words; one that is not is refused, never written", () => {
    const file = debianFile("t", "ens33", vlan("10.0.0.1", "fe80::1"), ["10.0.0.2/24", "fd00::2/64"]);
    expect(file.content).toContain("    gateway fe80::1\n");
    expect(() => debianFile("t", "ens33", vlan("10.0.0.1", "fe80::1%x;touch x"), ["fd00::2/64"])).toThrow(
      /refusing to write/,
    );
    expect(() => debianFile("t", "ens33", vlan(undefined, undefined), ["10.0.0.2/24\n    up touch /x"])).toThrow(
      /refusing to write/,
    );
  });
});
