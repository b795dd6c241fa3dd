import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { HostFacts, Plan } from "../../src/plan/types.js";
import { validateFile } from "../../src/labfile/validate.js";

/**
 * Whole-plan fixtures: test/fixtures/plan/<case>/case.json names a lab (every sample lab has
 * one) and the host facts; outline.txt is the plan's shape, per host the steps in order (phase,
 * id, title). What each step runs is in the per-step fixtures (test/fixtures/steps/, read by
 * test/plan/step-fixtures.test.ts); this checks which steps a whole lab gets, where and in
 * what order. Regenerate after an intended change with
 * UPDATE_FIXTURES=1 npx vitest run test/plan, then read the diff.
 */
const root = "test/fixtures/plan";
const cases = readdirSync(root).filter((d) => existsSync(join(root, d, "case.json")));

function outline(plan: Plan): string {
  const lines = [`lab ${plan.lab} (${plan.file})`];
  for (const host of plan.hosts) {
    const os = `${host.facts.os}${host.facts.detected ? "" : ", assumed"}`;
    lines.push("", `${host.host} ${host.address} (${os}): ${host.steps.length} steps`);
    for (const step of host.steps) lines.push(`  ${step.phase.padEnd(10)} ${step.id}  ${step.title}`);
  }
  return lines.join("\n") + "\n";
}

describe("plan fixtures (lab + facts → steps, in order)", () => {
  it("has fixtures for every sample lab", () => {
    const labs = cases.map((c) => JSON.parse(readFileSync(join(root, c, "case.json"), "utf8")).lab as string);
    for (const sample of readdirSync("labs").filter((f) => f.endsWith(".yaml")))
      expect(labs).toContain(`labs/${sample}`);
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
      const actual = outline(buildPlan(result.lab!, spec.facts));
      const expectedFile = join(root, name, "outline.txt");
      if (process.env.UPDATE_FIXTURES === "1") writeFileSync(expectedFile, actual);
      expect(
        existsSync(expectedFile),
        `${expectedFile} is missing: run UPDATE_FIXTURES=1 npx vitest run test/plan`,
      ).toBe(true);
      expect(actual).toBe(readFileSync(expectedFile, "utf8"));
    });
  }
});
