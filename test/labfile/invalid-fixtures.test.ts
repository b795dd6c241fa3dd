import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatIssue, type LocatedIssue } from "../../src/labfile/issues.js";
import { validateFile } from "../../src/labfile/validate.js";

/**
 * Every file in test/fixtures/invalid/ is a broken lab. Its leading comment lines say
 * exactly what the validator must report:
 *   # expect: LINE:COL: substring of the error message
 *   # expect-warning: LINE:COL: substring of the warning message
 *   # known-bug: why the positions are currently wrong (messages still checked)
 * Every reported error and warning must match one expectation, and every expectation
 * must match one reported issue.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = join(root, "test/fixtures/invalid");
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

interface Expectation {
  severity: LocatedIssue["severity"];
  line: number;
  col: number;
  text: string;
  source: string;
}

function header(text: string): { expectations: Expectation[]; knownBug?: string } {
  const expectations: Expectation[] = [];
  let knownBug: string | undefined;
  for (const line of text.split("\n")) {
    if (!line.startsWith("#")) break;
    const m = /^# (expect|expect-warning): (\d+):(\d+): (.+)$/.exec(line);
    if (m) {
      const severity = m[1] === "expect" ? "error" : "warning";
      expectations.push({ severity, line: Number(m[2]), col: Number(m[3]), text: m[4]!, source: line });
    } else if (line.startsWith("# known-bug: ")) knownBug = line.slice("# known-bug: ".length);
    else expect(line, "a header line that looks like an expectation but does not parse").not.toMatch(/^#\s*expect/);
  }
  return { expectations, knownBug };
}

/** Pair expectations with issues one to one; `samePlace` decides whether positions must agree. */
function pair(expectations: Expectation[], issues: LocatedIssue[], samePlace: boolean) {
  const left = [...issues];
  const matched: [Expectation, LocatedIssue][] = [];
  const missing: string[] = [];
  for (const e of expectations) {
    const i = left.findIndex(
      (issue) =>
        issue.severity === e.severity &&
        issue.message.includes(e.text) &&
        (!samePlace || (issue.line === e.line && issue.col === e.col)),
    );
    if (i < 0) missing.push(e.source);
    else matched.push([e, left.splice(i, 1)[0]!]);
  }
  return { matched, missing, unexpected: left.map(formatIssue) };
}

describe("invalid fixtures", () => {
  it("has a broken lab for each mistake theme", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  for (const name of fixtures) {
    const file = join(dir, name);
    const { expectations, knownBug } = header(readFileSync(file, "utf8"));

    it(`${name}: reports exactly the expected issues`, async () => {
      expect(expectations.length, "a fixture lists at least one # expect: line").toBeGreaterThan(0);
      const result = await validateFile(file);
      expect(result.ok).toBe(false);
      expect(result.lab).toBeUndefined();

      const { matched, missing, unexpected } = pair(expectations, result.issues, !knownBug);
      expect(missing, "expected but not reported").toEqual([]);
      expect(unexpected, "reported but not expected").toEqual([]);

      for (const [e, issue] of matched) {
        const [line, col] = knownBug ? [issue.line, issue.col] : [e.line, e.col];
        const prefix = `${file}:${line}:${col}: `;
        expect(formatIssue(issue).startsWith(prefix), `${formatIssue(issue)} starts with ${prefix}`).toBe(true);
      }
      if (knownBug) {
        // The messages are right; the positions are not yet. When this fails, the bug is
        // fixed: delete the known-bug line from the fixture so positions are checked too.
        const wrong = matched.filter(([e, issue]) => e.line !== issue.line || e.col !== issue.col);
        expect(wrong.length, `known bug in ${relative(root, file)} (${knownBug}) seems fixed`).toBeGreaterThan(0);
      }
    });
  }
});
