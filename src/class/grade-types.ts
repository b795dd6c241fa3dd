/**
 * What `lab class check` found for each student: the one shape every output reads (the
 * terminal table, --csv, --json, --junit, --html). Plain data, no host is contacted here.
 */

/** One ping of the student's check matrix. */
export interface PingRow {
  from: string;
  to: string;
  /** The address pinged. */
  address: string;
  expect: "reachable" | "unreachable";
  /** What happened; "could not run" when the source is missing or stopped. */
  got: "reachable" | "unreachable" | "could not run";
  asExpected: boolean;
  /** "reply", "no reply", or why it could not run. */
  detail: string;
}

/** A plan step that is not in place on the student's host, said as a person would. */
export interface MissingStep {
  host: string;
  /** e.g. "network mac_net10 missing", "container bbox11 not running". */
  what: string;
}

export type StudentStatus = "as expected" | "not as expected" | "unreachable";

export interface StudentGrade {
  student: string;
  /** The student's lab file and lab name. */
  file: string;
  lab: string;
  status: StudentStatus;
  /** Hosts that did not answer, each with why ("docker02: connection refused"). */
  unreachable: { host: string; reason: string }[];
  steps: { inPlace: number; total: number; missing: MissingStep[] };
  checks: { asExpected: number; total: number; pings: PingRow[] };
}

export interface ClassReport {
  /** The exercise (the lab name the students' labs were generated from, or the directory). */
  title: string;
  /** ISO time the grading ended. */
  at: string;
  students: StudentGrade[];
}

/** "docker02: network mac_net10 missing", or the text alone where no one host is meant. */
export const onHost = (host: string, text: string): string => (host ? `${host}: ${text}` : text);
