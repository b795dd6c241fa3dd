import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, parseDocument, Scalar, stringify } from "yaml";
import { validateText } from "../../src/labfile/validate.js";
import { stepBuilders } from "../../src/plan/build-plan.js";
import { makeHostContext, type HostContext, type PlanOptions } from "../../src/plan/host-context.js";
import type { HostFacts, Step } from "../../src/plan/types.js";
import { stepLines } from "../../src/report/plan-text.js";

/**
 * Small fixtures, one per case: "lab fragment + facts → commands" for one step builder on one
 * host, in test/fixtures/steps/<builder>/<case>.yaml, read by a reviewer in a minute:
 *
 *   steps: interfaces                  # the builder (src/plan/steps/)
 *   host: docker01
 *   facts: { os: rhel }                # what lab up learns of the host (detected: true)
 *   lab: { vlans: … }                  # replaces these top-level keys of base.yaml
 *   expected: |                        # the steps as `lab plan` prints them, with their ids
 *
 * After an intended change: UPDATE_FIXTURES=1 npx vitest run test/plan/step-fixtures.test.ts,
 * then read the diff.
 */
const root = "test/fixtures/steps";
const builders: Record<string, (ctx: HostContext) => Step[]> = stepBuilders;

interface StepCase {
  steps: string;
  host: string;
  facts: Partial<HostFacts> & Pick<HostFacts, "os">;
  options?: PlanOptions;
  lab: Record<string, unknown>;
  expected: string;
}

const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(join(root, d.name))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(root, d.name, f)),
  );
const base = parse(readFileSync(join(root, "base.yaml"), "utf8")) as Record<string, unknown>;

/** The steps as a reviewer reads them: `[id]`, then the step as `lab plan` prints it. */
function rendered(steps: Step[]): string {
  if (steps.length === 0) return "(no steps)\n";
  return (
    steps.map((step, i) => [`[${step.id}] (${step.phase})`, ...stepLines(step, i + 1)].join("\n")).join("\n\n") + "\n"
  );
}

function run(file: string): { actual: string; spec: StepCase } {
  const spec = parse(readFileSync(file, "utf8")) as StepCase;
  const build = builders[spec.steps];
  if (!build) throw new Error(`${file}: steps must be one of ${Object.keys(builders).join(", ")}`);
  const result = validateText(file, stringify({ ...base, ...spec.lab }));
  const errors = result.issues.filter((i) => i.severity === "error");
  if (errors.length > 0) throw new Error(`${file}: the lab does not validate: ${JSON.stringify(errors)}`);
  const lab = result.lab!;
  const host = lab.hosts.find((h) => h.name === spec.host);
  if (!host) throw new Error(`${file}: no host ${spec.host}`);
  const facts: HostFacts = { detected: true, ...spec.facts };
  return { actual: rendered(build(makeHostContext(lab, host, facts, spec.options ?? {}))), spec };
}

describe("step fixtures (lab fragment + facts → commands)", () => {
  it("every step builder has fixtures, on Debian and on RHEL", () => {
    const seen = cases.map((file) => parse(readFileSync(file, "utf8")) as StepCase);
    for (const name of Object.keys(builders))
      expect(
        seen.map((c) => c.steps),
        name,
      ).toContain(name);
    expect(new Set(seen.map((c) => c.facts.os))).toEqual(new Set(["debian", "rhel"]));
    expect(
      seen.some((c) => (c.facts.vlanStandins?.length ?? 0) > 0),
      "a VLAN stand-in case",
    ).toBe(true);
  });

  for (const file of cases) {
    it(file.slice(root.length + 1), () => {
      const { actual, spec } = run(file);
      if (process.env.UPDATE_FIXTURES === "1" && actual !== spec.expected) {
        const doc = parseDocument(readFileSync(file, "utf8"));
        const node = new Scalar(actual);
        node.type = Scalar.BLOCK_LITERAL;
        doc.set("expected", node);
        writeFileSync(file, doc.toString({ lineWidth: 0 }));
      }
      expect(actual).toBe(spec.expected);
    });
  }
});
