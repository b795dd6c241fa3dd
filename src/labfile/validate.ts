import { byPosition, error, type LabIssue, type LocatedIssue, type PathSegment } from "./issues.js";
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

/** Top-level maps whose entries can be set aside one by one when they are malformed. */
const NAMED_SECTIONS = new Set(["hosts", "vlans", "networks", "containers", "namespaces"]);

/**
 * All errors in one run: set aside what the schema rejected (an unknown key, or a whole
 * malformed host/network/container entry), and if the rest is well-formed, run the
 * semantic rules on it too. Issues that merely follow from the set-aside entries (e.g.
 * "network 'mac_net10' is not defined") are dropped.
 */
function rulesDespiteSchemaErrors(
  data: object,
  schemaIssues: { code: string; path: PropertyKey[]; keys?: string[] }[],
): LabIssue[] {
  const copy = structuredClone(data) as Record<string, unknown>;
  const setAside = new Set<string>();
  for (const issue of schemaIssues) {
    const path = issue.path.map(String);
    if (issue.code === "unrecognized_keys") {
      const parent = path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], copy) as
        Record<string, unknown> | undefined;
      issue.keys?.forEach((key) => parent && delete parent[key]);
    } else if (path.length >= 2 && NAMED_SECTIONS.has(path[0]!)) {
      delete (copy[path[0]!] as Record<string, unknown>)[path[1]!];
      setAside.add(path[1]!);
    } else if (path.length >= 1 && path[0] !== "name" && path[0] !== "hosts") {
      delete copy[path[0]!];
    } else return [];
  }
  // With every host set aside there is nothing left to check against.
  if (Object.keys((copy.hosts as object | undefined) ?? {}).length === 0) return [];
  const retry = labSchema.safeParse(copy);
  if (!retry.success) return [];
  const mentionsSetAside = (message: string) =>
    [...setAside].some((name) => message.includes(`'${name}'`) || message.includes(` ${name} `));
  return checkRules(retry.data).filter(
    (i) => !mentionsSetAside(i.message) && !i.path.some((p) => setAside.has(String(p))),
  );
}

/**
 * "__proto__" keys, to depth 8 (deeper than the schema goes). zod leaves such a key out of a
 * record without a word: a host or network so named would silently vanish from the lab.
 */
function protoKeys(data: unknown): LabIssue[] {
  const issues: LabIssue[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown, path: PathSegment[]) => {
    if (node === null || typeof node !== "object" || seen.has(node) || path.length > 8) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, [...path, i]));
    for (const key of Object.keys(node)) {
      if (key === "__proto__")
        issues.push(error([...path, key], "'__proto__' cannot be a key or a name in a lab file", true));
      walk((node as Record<string, unknown>)[key], [...path, key]);
    }
  };
  walk(data, []);
  return issues;
}

export function validateSource(source: LabSource): ValidationResult {
  const done = (issues: LocatedIssue[], lab?: Lab): ValidationResult => {
    const sorted = [...issues].sort(byPosition);
    const ok = !sorted.some((i) => i.severity === "error");
    return { file: source.file, issues: sorted, ok, lab: ok ? lab : undefined };
  };
  if (source.syntaxIssues.some((i) => i.severity === "error")) return done(source.syntaxIssues);
  if (source.data === null || typeof source.data !== "object" || Array.isArray(source.data)) {
    return done([
      locate(source, { severity: "error", path: [], message: "a lab file is a YAML map with at least name and hosts" }),
    ]);
  }
  const parsed = labSchema.safeParse(source.data);
  const badKeys = protoKeys(source.data);
  if (!parsed.success) {
    const issues = fromZodIssues(parsed.error.issues, labSchema, source.data, (path) => writtenAs(source, path));
    const ruleIssues = rulesDespiteSchemaErrors(source.data, parsed.error.issues);
    return done([...source.syntaxIssues, ...[...badKeys, ...issues, ...ruleIssues].map((i) => locate(source, i))]);
  }
  const issues = [...source.syntaxIssues, ...[...badKeys, ...checkRules(parsed.data)].map((i) => locate(source, i))];
  // Only a lab without errors is resolved: the resolver trusts every reference.
  const valid = !issues.some((i) => i.severity === "error");
  return done(issues, valid ? resolveLab(parsed.data, source.file) : undefined);
}

export function validateText(file: string, text: string): ValidationResult {
  return validateSource(parseLabSource(file, text));
}

export async function validateFile(file: string): Promise<ValidationResult> {
  return validateSource(await readLabSource(file));
}
