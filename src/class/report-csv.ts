import type { ClassReport } from "./grade-types.js";

export const CSV_HEADER = [
  "student",
  "status",
  "steps_in_place",
  "steps_total",
  "checks_as_expected",
  "checks_total",
  "unreachable_hosts",
] as const;

/**
 * A text field a spreadsheet would run as a formula (OWASP's CSV injection advice): one that
 * starts with =, +, -, @, tab or CR gets a leading "'". So does one whose first such character
 * follows spaces (some spreadsheets trim them before they look).
 */
export function defuseFormula(text: string): string {
  return /^[ ]*[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** RFC 4180: a field holding a comma, a double quote, CR or LF is quoted, its quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * `lab class check --csv`: a header, then one row per student. Lines end with LF (the last one
 * too); RFC 4180 quoting; text fields (the student, the status, the unreachable hosts joined with
 * a space) are defused against formula injection, the counts are written as numbers.
 */
export function classCsv(report: ClassReport): string {
  const text = (value: string) => csvField(defuseFormula(value));
  const rows = report.students.map((s) =>
    [
      text(s.student),
      text(s.status),
      String(s.steps.inPlace),
      String(s.steps.total),
      String(s.checks.asExpected),
      String(s.checks.total),
      text(s.unreachable.map((u) => u.host).join(" ")),
    ].join(","),
  );
  return [CSV_HEADER.join(","), ...rows].join("\n") + "\n";
}
