import { esc } from "../report/check-view.js";
import { onHost, type ClassReport, type PingRow, type StudentGrade } from "./grade-types.js";

/**
 * XML element text: check-view's escaping (&, <, >, " and the characters XML 1.0 forbids become
 * "?"), plus ' and the halves of a broken surrogate pair (not XML characters either).
 */
export const xmlText = (text: string): string =>
  esc(text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "?")).replace(
    /'/g,
    "&apos;",
  );

/** An XML attribute value: xmlText, and its newlines and tabs kept (a parser would make them spaces). */
export const xmlAttr = (text: string): string =>
  xmlText(text).replace(/\r/g, "&#13;").replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; body: string };
  error?: { type: string; message: string; body: string };
}

const pingName = (p: PingRow) => `${p.from} to ${p.to} (${p.address}) expect ${p.expect}`;

function studentCases(s: StudentGrade): Case[] {
  const cases: Case[] = [];
  const missing = s.steps.missing.map((m) => onHost(m.host, m.what));
  const stepsCase: Case = { classname: `${s.student}.steps`, name: "steps in place" };
  if (missing.length > 0 || s.steps.inPlace < s.steps.total) {
    const unread = s.unreachable.length > 0 ? ["(the steps of an unreachable host could not be read)"] : [];
    stepsCase.failure = {
      type: "missing steps",
      message: `${s.steps.inPlace} of ${s.steps.total} steps in place${missing.length ? `: ${missing.join("; ")}` : ""}`,
      body: [...missing, ...unread].join("\n"),
    };
  }
  cases.push(stepsCase);

  const hostsCase: Case = { classname: `${s.student}.hosts`, name: "hosts reachable" };
  if (s.unreachable.length > 0) {
    const lines = s.unreachable.map((u) => onHost(u.host, u.reason));
    hostsCase.error = { type: "unreachable", message: lines.join("; "), body: lines.join("\n") };
  }
  cases.push(hostsCase);

  for (const p of s.checks.pings) {
    const c: Case = { classname: `${s.student}.ping`, name: pingName(p) };
    if (!p.asExpected)
      c.failure = {
        type: p.got === "could not run" ? "could not run" : "not as expected",
        message:
          p.got === "could not run"
            ? `could not run${p.detail ? `: ${p.detail}` : ""}, expected ${p.expect}`
            : `${p.to} (${p.address}) was ${p.got}, expected ${p.expect}`,
        body: p.detail,
      };
    cases.push(c);
  }
  return cases;
}

function caseXml(c: Case): string {
  const head = `    <testcase classname="${xmlAttr(c.classname)}" name="${xmlAttr(c.name)}"`;
  const inner = c.failure
    ? `<failure type="${xmlAttr(c.failure.type)}" message="${xmlAttr(c.failure.message)}">${xmlText(c.failure.body)}</failure>`
    : c.error
      ? `<error type="${xmlAttr(c.error.type)}" message="${xmlAttr(c.error.message)}">${xmlText(c.error.body)}</error>`
      : undefined;
  return inner === undefined ? `${head}/>` : `${head}>\n      ${inner}\n    </testcase>`;
}

/**
 * `lab class check --junit`: JUnit XML for a CI system or an LMS. One <testsuite> per student
 * (its name is the student's); test cases: "steps in place" (a failure listing the missing
 * steps), "hosts reachable" (an error naming the unreachable hosts), and one per ping (classname
 * "<student>.ping", a failure when not as expected).
 */
export function classJunit(report: ClassReport): string {
  const suites = report.students.map((s) => ({ grade: s, cases: studentCases(s) }));
  const failures = (cases: Case[]) => cases.filter((c) => c.failure).length;
  const errors = (cases: Case[]) => cases.filter((c) => c.error).length;
  const all = suites.flatMap((s) => s.cases);
  const lines = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${xmlAttr(`lab class check: ${report.title}`)}" tests="${all.length}" failures="${failures(all)}" errors="${errors(all)}">`,
  ];
  for (const { grade: s, cases } of suites) {
    lines.push(
      `  <testsuite name="${xmlAttr(s.student)}" tests="${cases.length}" failures="${failures(cases)}" errors="${errors(cases)}" timestamp="${xmlAttr(report.at)}">`,
      "    <properties>",
      `      <property name="status" value="${xmlAttr(s.status)}"/>`,
      `      <property name="file" value="${xmlAttr(s.file)}"/>`,
      `      <property name="lab" value="${xmlAttr(s.lab)}"/>`,
      "    </properties>",
      ...cases.map(caseXml),
      "  </testsuite>",
    );
  }
  lines.push("</testsuites>", "");
  return lines.join("\n");
}
