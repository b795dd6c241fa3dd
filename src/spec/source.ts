import { readFile } from "node:fs/promises";
import { Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
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

export async function readLabSource(file: string): Promise<LabSource> {
  return parseLabSource(file, await readFile(file, "utf8"));
}

export function parseLabSource(file: string, text: string): LabSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: false });
  const syntaxIssues: LocatedIssue[] = [...doc.errors, ...doc.warnings].map((e) => {
    // yaml fills e.linePos only with prettyErrors; the offset is always there.
    const pos = lineCounter.linePos(e.pos[0]);
    return {
      severity: doc.errors.includes(e as never) ? "error" : "warning",
      path: [],
      message: yamlMessage(e.code, e.message),
      file,
      line: pos.line,
      col: pos.col,
    };
  });
  const data = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;
  return { file, text, doc, lineCounter, data, syntaxIssues };
}

function yamlMessage(code: string, message: string): string {
  // yaml's messages end with a location and a code excerpt; keep the first sentence only.
  const first = message.split(/ at line \d+/)[0]!.trim();
  if (code === "DUPLICATE_KEY") return `${first}: a name may appear only once in a map (each network, host and container has one definition)`;
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
