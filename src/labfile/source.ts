import { readFile } from "node:fs/promises";
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node,
  type Pair,
} from "yaml";
import { LabError } from "../errors.js";
import type { LabIssue, LocatedIssue, PathSegment } from "./issues.js";

/** A lab file parsed with positions, so every issue can point at its line and column. */
export interface LabSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Plain data (undefined when the YAML itself is broken). */
  data: unknown;
  /** YAML syntax errors, already located. */
  syntaxIssues: LocatedIssue[];
}

/** Why a lab file cannot be read, for the errors the user can fix (exit 2, as for a missing file). */
const UNREADABLE: Record<string, string> = {
  ENOENT: "no such file",
  ENOTDIR: "no such file",
  EISDIR: "it is a directory, not a lab file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many symbolic links",
  ENAMETOOLONG: "the name is too long",
};

export async function readLabSource(file: string): Promise<LabSource> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== "string" || !Object.hasOwn(UNREADABLE, code)) throw err;
    const reason = UNREADABLE[code];
    throw new LabError(`cannot read ${file}: ${reason}`, "usage");
  }
  return parseLabSource(file, text);
}

/**
 * A lab file is plain data: strings, numbers, booleans, null, lists and maps. YAML's extra
 * types (!!binary, !!set, !!omap, !!pairs, !!timestamp and the !!merge key marker, which YAML
 * 1.1 also reads from plain 2001-12-14) are not built: such a value stays the string or
 * collection it was written as, with a warning that names the tag.
 */
const EXTRA_TYPES = ["binary", "set", "omap", "pairs", "timestamp", "merge"].map((t) => `tag:yaml.org,2002:${t}`);

/** How many times aliases may be expanded in all: more is an alias bomb ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

export function parseLabSource(file: string, text: string): LabSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    merge: false,
    resolveKnownTags: false,
    customTags: (tags) => tags.filter((tag) => typeof tag === "string" || !EXTRA_TYPES.includes(tag.tag)),
    // yaml would print its own warnings (e.g. a map used as a key) on stderr, without a position.
    logLevel: "error",
  });
  const located = (offset: number, severity: LocatedIssue["severity"], message: string): LocatedIssue => {
    const pos = lineCounter.linePos(offset);
    return { severity, path: [], message, file, line: pos.line, col: pos.col };
  };
  // yaml fills e.linePos only with prettyErrors; the offset is always there.
  const syntaxIssues: LocatedIssue[] = [...doc.errors, ...doc.warnings].map((e) =>
    located(e.pos[0], doc.errors.includes(e as never) ? "error" : "warning", yamlMessage(e.code, e.message)),
  );
  if (doc.errors.length === 0) {
    for (const clash of keyClashes(doc, lineCounter)) syntaxIssues.push(located(clash.offset, "error", clash.message));
  }
  let data: unknown;
  if (!syntaxIssues.some((i) => i.severity === "error")) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      // yaml's guard against alias bombs; anything else is a bug and goes on up.
      if (!(err instanceof ReferenceError)) throw err;
      syntaxIssues.push(
        located(
          firstAliasOffset(doc),
          "error",
          `YAML: aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT}): write the values out, or use fewer nested aliases`,
        ),
      );
    }
  }
  return { file, text, doc, lineCounter, data, syntaxIssues };
}

/** A map key as the data has it: 10 and "10" are both "10", true and "true" both "true", ~ and "" both "". */
function dataKey(doc: Document.Parsed, key: unknown): string | undefined {
  const node = isAlias(key) ? key.resolve(doc) : key;
  if (node === null || node === undefined) return "";
  if (!isScalar(node)) return undefined;
  const value: unknown = node.value;
  if (value === null || value === undefined) return "";
  // A YAML scalar holds a string, number, boolean or bigint: its text is the key.
  const plain = typeof value === "string" || typeof value === "number" || typeof value === "boolean";
  return plain || typeof value === "bigint" ? String(value) : undefined;
}

/**
 * Keys that differ in the YAML but not in the data it becomes (10 and "10", an alias and the
 * text of its anchor): the data would keep one of the two entries and lose the other without a
 * word. yaml itself reports keys written the same (DUPLICATE_KEY).
 */
function keyClashes(doc: Document.Parsed, lineCounter: LineCounter): { offset: number; message: string }[] {
  const clashes: { offset: number; message: string }[] = [];
  visit(doc, {
    Map: (_, map) => {
      const seen = new Map<string, Pair>();
      for (const pair of map.items) {
        const text = dataKey(doc, pair.key);
        if (text === undefined) continue;
        const first = seen.get(text);
        if (!first) {
          seen.set(text, pair);
          continue;
        }
        const [a, b] = [first.key, pair.key];
        if (a === b || (isScalar(a) && isScalar(b) && a.value === b.value)) continue; // yaml's DUPLICATE_KEY
        const line = lineCounter.linePos(offsetOf(first)).line;
        clashes.push({
          offset: offsetOf(pair),
          message: `the key '${text}' is already in this map (line ${line}): YAML reads both as '${text}', so one entry would be lost; a name may appear only once in a map`,
        });
      }
    },
  });
  return clashes;
}

/** Where a pair starts: its key, or its value when the key is empty. */
const offsetOf = (pair: Pair): number =>
  (pair.key as Node | null)?.range?.[0] ?? (pair.value as Node | null)?.range?.[0] ?? 0;

function firstAliasOffset(doc: Document.Parsed): number {
  let offset = 0;
  visit(doc, {
    Alias: (_, node) => {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

function yamlMessage(code: string, message: string): string {
  // yaml's messages end with a location and a code excerpt; keep the first sentence only.
  const first = message.split(/ at line \d+/)[0]!.trim();
  if (code === "DUPLICATE_KEY")
    return `${first}: a name may appear only once in a map (each network, host and container has one definition)`;
  if (code === "RESOURCE_EXHAUSTION") return `YAML: nested too deeply to read (${first})`;
  if (code === "TAG_RESOLVE_FAILED")
    return `YAML: ${first}; a lab file holds plain values, so the value is read as written`;
  return `YAML: ${first}`;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** The YAML node at a path (or the deepest existing ancestor), as key or value. */
export function nodeAt(source: LabSource, path: PathSegment[], atKey = false): Node | undefined {
  let node: unknown = source.doc.contents;
  let found: Node | undefined = node as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(source.doc);
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) return found;
      if (last && atKey) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof segment === "number") {
      node = node.items[segment];
      if (node === undefined) return found;
    } else {
      return found;
    }
    found = node as Node;
  }
  return found;
}

export function locate(source: LabSource, issue: LabIssue): LocatedIssue {
  const node = nodeAt(source, issue.path, issue.atKey);
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = source.lineCounter.linePos(offset);
  return { ...issue, file: source.file, line, col };
}

/** The text a scalar was written as, e.g. "1.10" where YAML read the number 1.1. */
export function writtenAs(source: LabSource, path: PathSegment[]): string | undefined {
  const node = nodeAt(source, path);
  return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
}
