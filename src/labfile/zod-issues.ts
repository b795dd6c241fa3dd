import type { z } from "zod";
import { didYouMean } from "./did-you-mean.js";
import { error, type LabIssue, type PathSegment } from "./issues.js";

type Def = { type: string; [k: string]: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Peel wrappers (optional, default, pipe…) off a schema. */
function unwrap(schema: unknown): unknown {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(s);
    if (def.type === "optional" || def.type === "default" || def.type === "nullable" || def.type === "prefault")
      s = def.innerType;
    else if (def.type === "pipe") s = def.in;
    else return s;
  }
  return s;
}

/** The keys an object accepts at a path, for "did you mean". */
export function allowedKeysAt(root: unknown, path: PathSegment[]): string[] {
  let candidates = [unwrap(root)];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const schema of candidates) {
      const def = defOf(schema);
      if (def.type === "object") {
        const child = (def.shape as Record<string, unknown>)[String(segment)];
        if (child) next.push(unwrap(child));
      } else if (def.type === "record") next.push(unwrap(def.valueType));
      else if (def.type === "array") next.push(unwrap(def.element));
      else if (def.type === "tuple") next.push(...(def.items as unknown[]).map(unwrap));
      else if (def.type === "union") next.push(...(def.options as unknown[]).map(unwrap));
    }
    candidates = next.flatMap((s) => (defOf(s).type === "union" ? (defOf(s).options as unknown[]).map(unwrap) : [s]));
  }
  const keys = new Set<string>();
  for (const schema of candidates) {
    const def = defOf(schema);
    if (def.type === "object") Object.keys(def.shape as object).forEach((k) => keys.add(k));
  }
  return [...keys];
}

const isScalarValue = (v: unknown): v is string | number | boolean =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean";

const describeValue = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "a list"
      : typeof v === "object"
        ? "a map"
        : isScalarValue(v)
          ? `${typeof v} ${typeof v === "number" ? String(v) : JSON.stringify(v)}`
          : typeof v;

function valueAt(data: unknown, path: PathSegment[]): unknown {
  let v = data;
  for (const s of path) v = v && typeof v === "object" ? (v as Record<string, unknown>)[String(s)] : undefined;
  return v;
}

/**
 * Turn zod's issues into lab issues with readable messages. `writtenAs` gives the source
 * text of a scalar so YAML's number conversions (1.10 → 1.1) can be explained.
 */
export function fromZodIssues(
  issues: z.core.$ZodIssue[],
  root: unknown,
  data: unknown,
  writtenAs: (path: PathSegment[]) => string | undefined,
): LabIssue[] {
  const out: LabIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.map((s) => (typeof s === "symbol" ? String(s) : s)) as PathSegment[];
    switch (issue.code) {
      case "unrecognized_keys": {
        const allowed = allowedKeysAt(root, path);
        // "__proto__" is reported by validate.ts wherever it appears.
        for (const key of issue.keys.filter((k) => k !== "__proto__")) {
          const where = path.length ? ` in ${path.join(".")}` : "";
          out.push(
            error(
              [...path, key],
              `unknown key '${key}'${where}${didYouMean(key, allowed)}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`,
              true,
            ),
          );
        }
        break;
      }
      case "invalid_key": {
        const inner = (issue as { issues?: { message: string }[] }).issues?.[0]?.message ?? issue.message;
        out.push(error(path, `bad name '${String(path[path.length - 1])}': ${inner}`, true));
        break;
      }
      case "invalid_type": {
        const value = valueAt(data, path);
        if (value === undefined) {
          out.push(error(path.slice(0, -1), `missing required key '${String(path[path.length - 1])}'`));
          break;
        }
        const written = writtenAs(path);
        const hint =
          issue.expected === "string" && typeof value === "number" && written !== undefined
            ? `; YAML read ${written} as the number ${value}: quote it ("${written}")`
            : "";
        out.push(error(path, `expected ${article(issue.expected)}, got ${describeValue(value)}${hint}`));
        break;
      }
      case "invalid_union": {
        // Report the branch that got furthest; fall back to a generic message.
        const value = valueAt(data, path);
        const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
        const sameType = branches.find(
          (b) => b.length > 0 && b.every((i) => i.code !== "invalid_type" || i.path.length > 0),
        );
        if (sameType)
          out.push(
            ...fromZodIssues(
              sameType.map((i) => ({ ...i, path: [...issue.path, ...i.path] })),
              root,
              data,
              writtenAs,
            ),
          );
        else {
          const expected = [
            ...new Set(
              branches.flatMap((b) =>
                b.filter((i) => i.code === "invalid_type").map((i) => article((i as { expected: string }).expected)),
              ),
            ),
          ];
          out.push(error(path, `expected ${expected.join(" or ") || "something else"}, got ${describeValue(value)}`));
        }
        break;
      }
      case "invalid_value": {
        const options = (issue as { values?: unknown[] }).values ?? [];
        if (valueAt(data, path) === undefined) {
          out.push(
            error(
              path.slice(0, -1),
              `missing required key '${String(path[path.length - 1])}' (one of ${options.join(", ")})`,
            ),
          );
          break;
        }
        const value = valueAt(data, path);
        if (!isScalarValue(value)) {
          out.push(error(path, `expected one of ${options.join(", ")}, got ${describeValue(value)}`));
          break;
        }
        out.push(
          error(
            path,
            `'${String(value)}' is not one of ${options.join(", ")}${didYouMean(String(value), options.map(String))}`,
          ),
        );
        break;
      }
      case "too_small":
      case "too_big":
      case "invalid_format":
      case "custom":
      default: {
        const message = issue.message.replace(/^Invalid input: /, "").replace(/^Too (small|big): /, "");
        const value = valueAt(data, path);
        const shown = typeof value === "string" || typeof value === "number" ? `'${String(value)}': ` : "";
        out.push(error(path, `${shown}${message}`));
      }
    }
  }
  return out;
}

const article = (type: string): string => {
  const names: Record<string, string> = {
    object: "a map",
    record: "a map",
    array: "a list",
    tuple: "a list",
    string: "a string",
    number: "a number",
    boolean: "true or false",
  };
  return names[type] ?? type;
};
