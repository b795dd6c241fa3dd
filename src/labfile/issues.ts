/** A problem found in a lab file, located by its path in the document. */
export type PathSegment = string | number;

export interface LabIssue {
  severity: "error" | "warning";
  /** Path of the offending node, e.g. ["containers", "bbox10", "ip"]. */
  path: PathSegment[];
  message: string;
  /** Point at the key rather than the value (unknown keys, bad map keys). */
  atKey?: boolean;
}

/** A LabIssue with its place in the file, ready to print. */
export interface LocatedIssue extends LabIssue {
  file: string;
  line: number;
  col: number;
}

export const error = (path: PathSegment[], message: string, atKey = false): LabIssue => ({
  severity: "error",
  path,
  message,
  atKey,
});
export const warning = (path: PathSegment[], message: string, atKey = false): LabIssue => ({
  severity: "warning",
  path,
  message,
  atKey,
});

export function formatIssue(issue: LocatedIssue): string {
  const tag = issue.severity === "warning" ? "warning: " : "";
  // A message may quote the lab file: its control characters are shown, never sent to the terminal.
  const shown = issue.message.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${issue.file}:${issue.line}:${issue.col}: ${tag}${shown}`;
}

export function byPosition(a: LocatedIssue, b: LocatedIssue): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col || a.message.localeCompare(b.message);
}

/** Render a path for messages: containers.bbox10.ip, subnets[0]. */
export function pathText(path: PathSegment[]): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}
