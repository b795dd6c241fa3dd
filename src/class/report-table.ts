import { onHost, type ClassReport, type StudentGrade, type StudentStatus } from "./grade-types.js";

/**
 * Text a student supplied (a name from the class CSV, a host's answer) on its way to a terminal:
 * control characters (C0 with newline and tab, DEL, C1) become "?" so no escape sequence gets
 * through (an OSC 52 one writes the clipboard, others repaint lines) and a row stays one line;
 * the bidirectional controls that make a line read differently from what it holds do too.
 * (transport/remote-text.ts's hostText keeps newline and tab, which would break a row.)
 */
export const terminalText = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "?");

/** Detail lines shown under one student at most; the rest are counted. */
const MAX_DETAILS = 5;
/** The student column is never wider than this (longer names are cut with "…"). */
const MAX_NAME = 40;

const STATUS_COLOR: Record<StudentStatus, string> = {
  "as expected": "1;32",
  "not as expected": "1;31",
  unreachable: "1;33",
};

/** At most `width` characters (code points), the last one "…" when cut. */
function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

const visible = (text: string) => [...text].length;

/** What a student's row does not show: unreachable hosts, missing steps, pings not as expected. */
export function detailLines(grade: StudentGrade): string[] {
  return [
    ...grade.unreachable.map((u) => `unreachable: ${onHost(u.host, u.reason)}`),
    ...grade.steps.missing.map((m) => `missing: ${onHost(m.host, m.what)}`),
    ...grade.checks.pings
      .filter((p) => !p.asExpected)
      .map(
        (p) =>
          `ping: ${p.from} → ${p.to} (${p.address}): expected ${p.expect}, got ${p.got}` +
          (p.got === "could not run" && p.detail ? ` (${p.detail})` : ""),
      ),
  ].map(terminalText);
}

/** "3 students: 2 as expected, 1 not as expected, 0 unreachable" */
export function classSummary(report: ClassReport): string {
  const count = (status: StudentStatus) => report.students.filter((s) => s.status === status).length;
  const n = report.students.length;
  return (
    `${n} student${n === 1 ? "" : "s"}: ${count("as expected")} as expected, ` +
    `${count("not as expected")} not as expected, ${count("unreachable")} unreachable`
  );
}

/**
 * The terminal table of `lab class check`: one row per student (name, status, steps in place,
 * checks as expected), under a student who is not as expected or unreachable what is missing
 * (at most 5 lines, then "… and N more"), and a summary line. `width` (the terminal's columns)
 * cuts longer lines with "…"; colors (plain ANSI) only when `color` is true.
 */
export function classTable(report: ClassReport, options: { color: boolean; width?: number }): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const width = options.width !== undefined && options.width > 0 ? Math.max(40, options.width) : undefined;
  const fit = (line: string) => (width === undefined ? line : cut(line, width));

  const rows = report.students.map((s) => ({
    grade: s,
    name: terminalText(s.student),
    steps: `${s.steps.inPlace}/${s.steps.total}`,
    checks: `${s.checks.asExpected}/${s.checks.total}`,
  }));
  const headers = { name: "student", status: "status", steps: "steps", checks: "checks" };
  const statusWidth = "not as expected".length;
  const stepsWidth = Math.max(headers.steps.length, ...rows.map((r) => r.steps.length));
  const checksWidth = Math.max(headers.checks.length, ...rows.map((r) => r.checks.length));
  // What the name column may take: the rest of the line after the other columns and the gaps.
  const room = width === undefined ? MAX_NAME : Math.max(10, width - statusWidth - stepsWidth - checksWidth - 6);
  const nameWidth = Math.min(room, MAX_NAME, Math.max(headers.name.length, ...rows.map((r) => visible(r.name))));
  const pad = (text: string, w: number) => text + " ".repeat(Math.max(0, w - visible(text)));
  const padStart = (text: string, w: number) => " ".repeat(Math.max(0, w - visible(text))) + text;

  const lines: string[] = [];
  lines.push(`${terminalText(report.title)} (graded ${terminalText(report.at)})`);
  lines.push(
    paint(
      "1",
      `${pad(headers.name, nameWidth)}  ${pad(headers.status, statusWidth)}  ` +
        `${padStart(headers.steps, stepsWidth)}  ${padStart(headers.checks, checksWidth)}`,
    ),
  );
  for (const r of rows) {
    const status = r.grade.status;
    // Padding is counted on the plain text: the color codes take no column.
    const statusCell =
      paint(STATUS_COLOR[status] ?? "0", status) + " ".repeat(Math.max(0, statusWidth - status.length));
    lines.push(
      `${pad(cut(r.name, nameWidth), nameWidth)}  ${statusCell}  ` +
        `${padStart(r.steps, stepsWidth)}  ${padStart(r.checks, checksWidth)}`,
    );
    if (status === "as expected") continue;
    const details = detailLines(r.grade);
    for (const d of details.slice(0, MAX_DETAILS)) lines.push(fit(`    ${d}`));
    if (details.length > MAX_DETAILS) lines.push(paint("2", `    … and ${details.length - MAX_DETAILS} more`));
  }
  lines.push("", classSummary(report));
  return lines.join("\n") + "\n";
}
