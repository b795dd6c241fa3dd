import { execFileSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quote, sh } from "../../src/plan/shell.js";

// The real check: a POSIX shell must get back exactly the word we quoted.
const throughShell = (words: string[]): string[] => {
  const out = execFileSync("sh", ["-c", `for w in ${words.map(quote).join(" ")}; do printf '%s\\0' "$w"; done`], {
    encoding: "utf8",
  });
  return out.split("\0").slice(0, -1);
};

describe("shell quoting", () => {
  it("leaves plain words readable", () => {
    expect(sh("ip", "link", "add", "link", "ens33", "name", "ens33.10")).toBe("ip link add link ens33 name ens33.10");
    expect(quote("172.16.10.0/24")).toBe("172.16.10.0/24");
    expect(quote("lab.name=x")).toBe("lab.name=x");
  });

  it("quotes anything a shell would interpret", () => {
    expect(quote("a b")).toBe("'a b'");
    expect(quote("it's")).toBe(`'it'\\''s'`);
    expect(quote("")).toBe("''");
    expect(quote("$(reboot)")).toBe("'$(reboot)'");
  });

  it("round-trips any text through a real sh", () => {
    const word = fc.string({ unit: fc.constantFrom(..."ab $`'\"\\;|&()<>*?[]{}~#!\n\t=:,./-_%@+"), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), (words) => {
        expect(throughShell(words)).toEqual(words);
      }),
      { numRuns: 60 },
    );
  });
});
