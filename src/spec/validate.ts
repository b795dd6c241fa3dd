import { byPosition, type LabIssue, type LocatedIssue } from "./issues.js";
import { RuleContext } from "./rules/context.js";
import { checkAddresses } from "./rules/addresses.js";
import { checkInterfaces } from "./rules/interfaces.js";
import { checkReferences } from "./rules/references.js";
import { checkSubnets } from "./rules/subnets.js";
import { checkTargets } from "./rules/targets.js";
import { labSchema, type RawLab } from "./schema.js";
import { locate, parseLabSource, readLabSource, writtenAs, type LabSource } from "./source.js";
import { fromZodIssues } from "./zod-issues.js";
import { resolveLab, type Lab } from "./model.js";

export interface ValidationResult {
  file: string;
  /** The resolved lab, present only when there is no error. */
  lab?: Lab;
  issues: LocatedIssue[];
  ok: boolean;
}

const rules = [checkReferences, checkInterfaces, checkSubnets, checkAddresses, checkTargets];

/** Semantic rules on a lab that passed the schema; pure. */
export function checkRules(raw: RawLab): LabIssue[] {
  const ctx = new RuleContext(raw);
  return rules.flatMap((rule) => rule(ctx));
}

export function validateSource(source: LabSource): ValidationResult {
  const done = (issues: LocatedIssue[], lab?: Lab): ValidationResult => {
    const sorted = [...issues].sort(byPosition);
    const ok = !sorted.some((i) => i.severity === "error");
    return { file: source.file, issues: sorted, ok, lab: ok ? lab : undefined };
  };
  if (source.syntaxIssues.some((i) => i.severity === "error")) return done(source.syntaxIssues);
  if (source.data === null || typeof source.data !== "object" || Array.isArray(source.data)) {
    return done([locate(source, { severity: "error", path: [], message: "a lab file is a YAML map with at least name and hosts" })]);
  }
  const parsed = labSchema.safeParse(source.data);
  if (!parsed.success) {
    const issues = fromZodIssues(parsed.error.issues, labSchema, source.data, (path) => writtenAs(source, path));
    return done([...source.syntaxIssues, ...issues.map((i) => locate(source, i))]);
  }
  const issues = [...source.syntaxIssues, ...checkRules(parsed.data).map((i) => locate(source, i))];
  return done(issues, resolveLab(parsed.data, source.file));
}

export function validateText(file: string, text: string): ValidationResult {
  return validateSource(parseLabSource(file, text));
}

export async function validateFile(file: string): Promise<ValidationResult> {
  return validateSource(await readLabSource(file));
}
