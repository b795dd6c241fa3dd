import { EXIT, type LabError } from "../errors.js";
import type { Lab } from "../labfile/model.js";
import type { StudentGrade } from "./grade-types.js";
import type { ClassMember } from "./manifest.js";

/** The grades a student gets when their lab could not be graded, and the start of one that can. */

export const base = (member: ClassMember, lab: Lab): StudentGrade => ({
  student: member.student,
  file: member.file,
  lab: lab.name,
  status: "as expected",
  unreachable: [],
  steps: { inPlace: 0, total: 0, missing: [] },
  checks: { asExpected: 0, total: 0, pings: [] },
});

/**
 * The hosts an error names: its own host, or the lab's hosts its lines begin with (connecting
 * to several hosts fails with one line per host), else the whole message.
 */
function hostsNamed(err: LabError, hosts: string[]): { host: string; text: string }[] {
  if (err.host) return [{ host: err.host, text: err.message }];
  const lines = err.message.split("\n").filter(Boolean);
  const named = lines.flatMap((l) => {
    const host = hosts.find((h) => l.startsWith(`${h}: `));
    return host ? [{ host, text: l.slice(host.length + 2) }] : [];
  });
  return named.length > 0 ? named : [{ host: "", text: err.message }];
}

/** A student whose run ended in a LabError: unreachable (cannot run here), else not as expected. */
export function unreachable(member: ClassMember, err: LabError, hosts: string[]): StudentGrade {
  const notRun = err.exitCode === EXIT.cannotRun;
  return {
    student: member.student,
    file: member.file,
    lab: "",
    status: notRun ? "unreachable" : "not as expected",
    unreachable: notRun ? hostsNamed(err, hosts).map(({ host, text }) => ({ host, reason: text })) : [],
    steps: { inPlace: 0, total: 0, missing: notRun ? [] : [{ host: err.host ?? "", what: err.message }] },
    checks: { asExpected: 0, total: 0, pings: [] },
  };
}

/** Graded on nothing but one reason: not as expected. */
function notGraded(member: ClassMember, what: string): StudentGrade {
  return {
    student: member.student,
    file: member.file,
    lab: "",
    status: "not as expected",
    unreachable: [],
    steps: { inPlace: 0, total: 0, missing: [{ host: "", what }] },
    checks: { asExpected: 0, total: 0, pings: [] },
  };
}

export const stopped = (member: ClassMember): StudentGrade => notGraded(member, "not done: stopped by Ctrl-C");

export const invalid = (member: ClassMember, why: string): StudentGrade => notGraded(member, `${member.file} ${why}`);
