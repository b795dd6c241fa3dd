import { isAlias, isMap, isScalar, isSeq } from "yaml";
import { assumedFacts, buildPlan } from "../../src/plan/build-plan.js";
import type { HostFacts } from "../../src/plan/types.js";
import { formatIssue } from "../../src/labfile/issues.js";
import { labSchema } from "../../src/labfile/schema.js";
import { parseLabSource, type LabSource } from "../../src/labfile/source.js";
import { validateSource } from "../../src/labfile/validate.js";

/**
 * Inputs for fuzz.test.ts, and the oracle every one of them must satisfy (check below). The
 * inputs start from the sample labs (labs/*.yaml), and from labs made by a small grammar, so
 * most of them get past the YAML and the schema into the semantic rules and the planner:
 *   - structure: values replaced (with values from the same place in another lab, other
 *     fields' values, hostile strings, wrong types, huge numbers, odd unicode), keys deleted,
 *     renamed, inserted, duplicated, subtrees swapped and grafted from other labs, values
 *     nested deeply; printed in random styles;
 *   - YAML: anchors and aliases (also as keys, also cyclic), tags, quoting and flow styles,
 *     complex keys, merge keys, a key repeated as another type (10 and "10"), comments, the
 *     %YAML 1.1 directive;
 *   - text: tokens inserted, spans deleted, lines duplicated (duplicate keys), swapped,
 *     re-indented, truncated, CRLF, BOM, tabs;
 *   - pathological: alias bombs, deep nesting, long lines, many entries.
 */

export const FILE = "fuzz.yaml";
/** One case may be slow (an alias bomb, deep nesting), not stuck. */
const MAX_CASE_MS = 5_000;

// ---------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------

export type Outcome = "yaml" | "schema" | "rules" | "valid";

const SECTIONS = ["hosts", "vlans", "networks", "containers", "namespaces"] as const;

/** A broken promise of the validator or the planner: the property fails with this message. */
export class FuzzFinding extends Error {}

function ensure(condition: unknown, message: string): void {
  if (!condition) throw new FuzzFinding(message);
}

/** Whether the file itself has the word: in its text, or in a value (YAML may fold it over lines). */
function mentions(text: string, data: unknown, word: string): boolean {
  if (text.includes(word)) return true;
  const seen = new Set<object>();
  const walk = (v: unknown): boolean => {
    if (typeof v === "string") return v.includes(word);
    if (v === null || typeof v !== "object" || seen.has(v)) return false;
    seen.add(v);
    return Object.entries(v).some(([k, x]) => k.includes(word) || walk(x));
  };
  return walk(data);
}

/**
 * A map of the YAML that has more entries than the data made of it: a key lost on the way (10
 * and "10" are one key in the data; zod drops "__proto__"). Aliases are followed once.
 */
function lostKey(doc: LabSource["doc"], data: unknown): string | undefined {
  const seen = new Set<unknown>();
  const walk = (node: unknown, value: unknown, path: string): string | undefined => {
    if (isAlias(node)) node = node.resolve(doc);
    if (seen.has(node) || seen.size > 5_000) return undefined;
    seen.add(node);
    if (isMap(node) && value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      if (keys.length !== node.items.length)
        return `${path || "the document"}: ${node.items.length} entries in the YAML, ${keys.length} in the data`;
      for (const pair of node.items) {
        const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
        const text =
          key === null || key === undefined
            ? ""
            : isScalar(key)
              ? String((key.value as string | number | boolean | null) ?? "")
              : undefined;
        if (text === undefined || !Object.hasOwn(value, text)) continue;
        const lost = walk(pair.value, (value as Record<string, unknown>)[text], `${path}.${text}`);
        if (lost) return lost;
      }
    } else if (isSeq(node) && Array.isArray(value)) {
      for (const [i, item] of node.items.entries()) {
        const lost = walk(item, value[i], `${path}[${i}]`);
        if (lost) return lost;
      }
    }
    return undefined;
  };
  return walk(doc.contents, data, "");
}

/**
 * Validate and, when valid, plan for both OS families. Throws (an exception of the code under
 * test, or a FuzzFinding) on anything but a clean outcome; returns how far the input got.
 * A clean outcome: every issue at file:line:col inside the file, with a message that shows no
 * internals (a stack, "[object Object]", an "undefined" the file does not have); no key lost
 * between the YAML and the data; a valid lab keeps every host, VLAN, network, container and
 * namespace of the file, and plans with unique step ids per host; no case takes 5 s.
 */
export function check(text: string): Outcome {
  const started = performance.now();
  // validateText(file, text) is exactly this; the source is kept to look at the data.
  const source = parseLabSource(FILE, text);
  const result = validateSource(source);
  const lines = text.split(/\r\n|\r|\n/).length;
  for (const issue of result.issues) {
    const shown = formatIssue(issue);
    ensure(issue.file === FILE, `wrong file: ${shown}`);
    ensure(Number.isInteger(issue.line) && issue.line >= 1 && issue.line <= lines, `line out of range: ${shown}`);
    ensure(Number.isInteger(issue.col) && issue.col >= 1, `col out of range: ${shown}`);
    ensure(issue.severity === "error" || issue.severity === "warning", `severity: ${shown}`);
    ensure(typeof issue.message === "string" && issue.message.trim().length > 0, `empty message: ${shown}`);
    // Internals leaking into messages: a stack, an object printed as such, a lookup that missed.
    ensure(!/\n\s+at |\[object \w+\]/.test(issue.message), `internals in the message: ${shown}`);
    ensure(
      !/undefined/.test(issue.message) || mentions(text, source.data, "undefined"),
      `'undefined' in the message: ${shown}`,
    );
  }
  if (source.data !== undefined) {
    const lost = lostKey(source.doc, source.data);
    ensure(!lost, `a key lost between the YAML and the data: ${lost}`);
  }
  let outcome: Outcome;
  if (result.ok) {
    ensure(result.lab, "a valid lab is resolved");
    const lab = result.lab!;
    // Nothing the file defines is silently dropped (e.g. a key that sets a prototype).
    const data = source.data as Record<string, unknown>;
    for (const section of SECTIONS) {
      const inFile = Object.keys((data[section] as object | undefined) ?? {}).length;
      ensure(lab[section].length === inFile, `${section}: ${inFile} in the file, ${lab[section].length} in the lab`);
    }
    // Both OS families; the Debian plan also as the sandbox makes it (VLAN stand-ins, Docker restart allowed).
    const standins = (facts: Record<string, HostFacts>) =>
      Object.fromEntries(
        Object.entries(facts).map(([host, f]) => [
          host,
          { ...f, vlanStandins: lab.vlans.filter((v) => v.hosts.includes(host)).map((v) => v.id) },
        ]),
      );
    for (const os of ["rhel", "debian"] as const) {
      const plan =
        os === "rhel"
          ? buildPlan(lab, assumedFacts(lab, os))
          : buildPlan(lab, standins(assumedFacts(lab, os)), { allowDockerRestart: true });
      ensure(plan.hosts.map((h) => h.host).join() === lab.hosts.map((h) => h.name).join(), "a plan per host");
      for (const host of plan.hosts) {
        const ids = host.steps.map((s) => s.id);
        ensure(
          new Set(ids).size === ids.length,
          `step ids repeat on ${host.host} (${os}): ${ids.filter((id, i) => ids.indexOf(id) !== i).join(", ")}`,
        );
      }
      JSON.stringify(plan);
    }
    outcome = "valid";
  } else {
    ensure(result.lab === undefined, "an invalid lab is not resolved");
    outcome = source.data === undefined ? "yaml" : labSchema.safeParse(source.data).success ? "rules" : "schema";
  }
  const ms = performance.now() - started;
  ensure(ms < MAX_CASE_MS, `one case took ${Math.round(ms)} ms`);
  return outcome;
}

/** Counts outcomes, so a generator that stops reaching the rules and the planner is noticed. */
export class Tally {
  readonly counts: Record<Outcome, number> = { yaml: 0, schema: 0, rules: 0, valid: 0 };
  add(outcome: Outcome): void {
    this.counts[outcome]++;
  }
  share(outcome: Outcome): number {
    const total = Object.values(this.counts).reduce((a, b) => a + b, 0);
    return total === 0 ? 0 : this.counts[outcome] / total;
  }
}

// ---------------------------------------------------------------------------------------
// The sample labs and what they are made of
// ---------------------------------------------------------------------------------------
