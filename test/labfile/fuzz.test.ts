import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check, Tally } from "./fuzz-check.js";
import { samples, sampleTexts } from "./fuzz-pools.js";
import { editedText, oddLab, pathological } from "./fuzz-text.js";
import { mutatedLab } from "./fuzz-trees.js";

/**
 * Fuzzing the loader, the validator and the planner (the oracle: fuzz-check.ts; inputs:
 * fuzz-pools.ts, fuzz-trees.ts, fuzz-text.ts).
 * Every input must end either valid, and then planned for both OS families, or with errors
 * that each carry file:line:col: never an exception. validateText and buildPlan are called
 * directly, so any throw fails the property.
 *
 * The seed is fixed, so CI runs the same cases each time. LAB_FUZZ_RUNS=100000 runs more
 * (the total over all properties; default 10,000); LAB_FUZZ_SEED=<n> explores other cases.
 * A failure prints the counterexample (shrunk) and the seed and path that replay it.
 */

const TOTAL_RUNS = positiveInt(process.env.LAB_FUZZ_RUNS) ?? 10_000;
const SEED = positiveInt(process.env.LAB_FUZZ_SEED) ?? 20_240_611;
/** Share of the total per property; the slower pathological inputs get fewer runs. */
const SHARE = { structure: 0.5, yaml: 0.2, text: 0.24, pathological: 0.06 } as const;
type Property = keyof typeof SHARE;
const runsOf = (property: Property): number => Math.max(1, Math.round(TOTAL_RUNS * SHARE[property]));
/** Generous (the default 10,000 take about 40 s on 2 cores); more runs, more time. */
const timeoutOf = (property: Property): number => Math.max(60_000, runsOf(property) * 30);

function positiveInt(text: string | undefined): number | undefined {
  const n = Number(text);
  return text && Number.isInteger(n) && n > 0 ? n : undefined;
}

function assertProperty<T>(
  property: Property,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => void,
  seedOffset: number,
): void {
  fc.assert(fc.property(arbitrary, predicate), { seed: SEED + seedOffset, numRuns: runsOf(property) });
}

describe("fuzzing the loader, validator and planner", () => {
  it("the sample labs are valid and plan for both OS families (the fuzzer's starting points)", () => {
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const text of sampleTexts) expect(check(text)).toBe("valid");
  });

  it(
    `structure-aware mutations of the sample labs (${runsOf("structure")} cases)`,
    { timeout: timeoutOf("structure") },
    () => {
      const tally = new Tally();
      assertProperty("structure", mutatedLab, (text) => tally.add(check(text)), 1);
      console.info(`fuzz structure: ${JSON.stringify(tally.counts)}`);
      // The generator must keep reaching the rules and the planner, not only the schema.
      expect(tally.share("valid")).toBeGreaterThan(0.1);
      expect(tally.share("rules")).toBeGreaterThan(0.05);
      expect(tally.share("schema")).toBeGreaterThan(0.1);
    },
  );

  it(
    `YAML oddities: anchors, aliases, tags, styles, complex and merge keys, YAML 1.1 (${runsOf("yaml")} cases)`,
    { timeout: timeoutOf("yaml") },
    () => {
      const tally = new Tally();
      assertProperty("yaml", oddLab, (text) => tally.add(check(text)), 2);
      console.info(`fuzz yaml: ${JSON.stringify(tally.counts)}`);
      expect(tally.share("valid") + tally.share("rules")).toBeGreaterThan(0.05);
    },
  );

  it(`raw text mutations (${runsOf("text")} cases)`, { timeout: timeoutOf("text") }, () => {
    const tally = new Tally();
    assertProperty("text", editedText, (text) => tally.add(check(text)), 3);
    console.info(`fuzz text: ${JSON.stringify(tally.counts)}`);
    expect(tally.share("yaml")).toBeGreaterThan(0.1);
    expect(tally.share("valid") + tally.share("rules")).toBeGreaterThan(0.05);
  });

  it(
    `pathological YAML: alias bombs, deep nesting, long lines, many entries (${runsOf("pathological")} cases)`,
    { timeout: timeoutOf("pathological") },
    () => {
      expect(() => assertProperty("pathological", pathological, (text) => void check(text), 4)).not.toThrow();
    },
  );

  it(`runs at least 10,000 cases by default (LAB_FUZZ_RUNS=${TOTAL_RUNS})`, () => {
    const total = (Object.keys(SHARE) as Property[]).reduce((sum, p) => sum + runsOf(p), 0);
    expect(total).toBeGreaterThanOrEqual(Math.min(TOTAL_RUNS, 10_000));
  });
});
