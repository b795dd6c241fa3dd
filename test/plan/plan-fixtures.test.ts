import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { HostFacts } from "../../src/plan/types.js";
import { validateFile } from "../../src/labfile/validate.js";

/**
 * Data-driven plan fixtures: test/fixtures/plan/<case>/case.json names a lab and the host
 * facts; expected.json is the plan, reviewed by a person. Regenerate after an intended
 * change with UPDATE_FIXTURES=1 npx vitest run test/plan, then read the diff.
 */
const root = "test/fixtures/plan";
const cases = readdirSync(root).filter((d) => existsSync(join(root, d, "case.json")));

describe("plan fixtures (lab + facts → steps)", () => {
  it("has fixtures for every sample lab", () => {
    const labs = cases.map((c) => JSON.parse(readFileSync(join(root, c, "case.json"), "utf8")).lab as string);
    for (const sample of readdirSync("labs")) expect(labs).toContain(`labs/${sample}`);
  });

  for (const name of cases) {
    it(name, async () => {
      const spec = JSON.parse(readFileSync(join(root, name, "case.json"), "utf8")) as {
        lab: string;
        facts: Record<string, HostFacts>;
      };
      const labFile = spec.lab.startsWith("labs/") ? spec.lab : join(root, name, spec.lab);
      const result = await validateFile(labFile);
      expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
      const plan = buildPlan(result.lab!, spec.facts);
      const expectedFile = join(root, name, "expected.json");
      const actual = JSON.stringify(plan, null, 2) + "\n";
      if (process.env.UPDATE_FIXTURES === "1") writeFileSync(expectedFile, actual);
      expect(
        existsSync(expectedFile),
        `${expectedFile} is missing: run UPDATE_FIXTURES=1 npx vitest run test/plan`,
      ).toBe(true);
      expect(JSON.parse(actual)).toEqual(JSON.parse(readFileSync(expectedFile, "utf8")));
    });
  }
});
