import { describe, expect, it } from "vitest";
import { csvRecords, parseRoster, parseSshTarget, RosterError } from "../../src/class/roster.js";
import { fitName, slugOf, studentLabId } from "../../src/class/names.js";
import { patterns } from "../../src/labfile/patterns.js";

const HOSTS = ["docker01", "docker02"];
const roster = (text: string) => parseRoster("roster.csv", text, HOSTS);
const errorOf = (text: string) => {
  try {
    roster(text);
  } catch (err) {
    if (err instanceof RosterError) return err.message;
    throw err;
  }
  throw new Error("no error");
};

describe("roster CSV", () => {
  it("reads students, addresses and SSH targets, with quotes, CRLF, a BOM and blank lines", () => {
    const text =
      '\ufeffstudent,docker01,docker02,docker02_ssh\r\n"Lovelace, Ada",10.0.1.11,10.0.1.12,\r\n\r\nAlan Turing,10.0.2.11,fd00::12,alan@jump.example:2222\r\n';
    expect(roster(text)).toEqual([
      { name: "Lovelace, Ada", line: 2, addresses: { docker01: "10.0.1.11", docker02: "10.0.1.12" }, ssh: {} },
      {
        name: "Alan Turing",
        line: 4,
        addresses: { docker01: "10.0.2.11", docker02: "fd00::12" },
        ssh: { docker02: { user: "alan", host: "jump.example", port: 2222 } },
      },
    ]);
  });

  it("counts lines inside a quoted field, so errors point at the line the student is on", () => {
    expect(csvRecords("r.csv", 'a,b\n"x\ny",z\nq,\n').map((r) => r.line)).toEqual([1, 2, 4]);
    expect(errorOf('student,docker01,docker02\n"A, B",10.0.1.11,10.0.1.12\nBob,10.0.1.999,10.0.1.2\n')).toBe(
      'roster.csv:3: Bob: docker01 "10.0.1.999" is not an IP address',
    );
    // A name over two lines is refused, at the line where its record starts.
    expect(errorOf('student,docker01,docker02\n"Ada\nL",10.0.1.11,10.0.1.12\n')).toContain("roster.csv:2: student");
  });

  it.each([
    ["", "roster.csv:1: empty: the first line is the header (student,docker01,docker02)"],
    ["name,docker01,docker02\n", 'the first column is "student"'],
    ["student,docker01\nA,10.0.0.1\n", "roster.csv:1: no column for host docker02"],
    ["student,docker01,docker02,docker03\n", 'roster.csv:1: column "docker03" is not a host of the lab'],
    ["student,docker01,docker02\n", "roster.csv:2: no student"],
    ["student,docker01,docker02\nA,10.0.0.1\n", "roster.csv:2: 2 fields where the header has 3"],
    ["student,docker01,docker02\nA,10.0.0.1,\n", "roster.csv:2: A: no address for docker02"],
    [
      "student,docker01,docker02\nA,10.0.0.1,10.0.0.2\na,10.0.0.3,10.0.0.4\n",
      'roster.csv:3: student "a" is already on line 2',
    ],
    [
      "student,docker01,docker02\nA,fe80::1%eth0,10.0.0.2\n",
      'roster.csv:2: A: docker01 "fe80::1%eth0" is not an IP address',
    ],
    ["student,docker01,docker02\nA\u202e,10.0.0.1,10.0.0.2\n", "roster.csv:2: student"],
    ['student,docker01,docker02\nA,10.0.0.1,"10.0.0.2\n', "roster.csv:2: a quoted field is not closed"],
    ['student,docker01,docker02\nA"b,10.0.0.1,10.0.0.2\n', "roster.csv:2: a quote inside an unquoted field"],
    ["student,docker01,docker02,docker01_ssh\nA,10.0.0.1,10.0.0.2,ro;ot@x\n", "roster.csv:2: A: docker01_ssh user"],
    [
      "student,docker01,docker02,docker01_ssh\nA,10.0.0.1,10.0.0.2,x:99999\n",
      "roster.csv:2: A: docker01_ssh port 99999",
    ],
    ["student,docker01,docker02,docker01_ssh\nA,10.0.0.1,10.0.0.2,$(id)\n", "roster.csv:2: A: docker01_ssh host"],
  ])("refuses %j with its line", (text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  it("parses [user@]host[:port] with IPv6 in brackets", () => {
    expect(parseSshTarget("[fd00::1]:2200")).toEqual({ host: "fd00::1", port: 2200 });
    expect(parseSshTarget("bob@10.0.0.5")).toEqual({ user: "bob", host: "10.0.0.5" });
    expect(typeof parseSshTarget("a@b@c")).toBe("string");
  });
});

describe("names a generated lab gives a student", () => {
  it("slugs any name into the lab-name grammar", () => {
    expect(slugOf("Zoë O'Brien")).toBe("zoe-obrien");
    expect(slugOf("  Ada  LOVELACE ")).toBe("ada-lovelace");
    expect(slugOf("42")).toBe("s-42");
    expect(slugOf("李雷")).toMatch(/^s-[0-9a-f]{6}$/);
    expect(slugOf("李雷")).not.toBe(slugOf("韩梅梅"));
  });

  it("fits within each limit, and two long names that share a start still differ", () => {
    const a = fitName("single-network", "alexandra-smith", 24);
    const b = fitName("single-network", "alexandra-jones", 24);
    for (const n of [a, b]) expect(n.length).toBeLessThanOrEqual(24);
    expect(a).not.toBe(b);
    expect(a).toMatch(patterns.labName.regex);
    expect(fitName("bbox1", "ada", 63)).toBe("bbox1-ada");
    expect(fitName("a-very-long-lab-name-xyz", "ada", 24)).toHaveLength(24);
  });

  it("gives each student of a lab a stable id of the lab-id grammar", () => {
    expect(studentLabId("k3f9a0c1e7b2", "ada")).toBe(studentLabId("k3f9a0c1e7b2", "ada"));
    expect(studentLabId("k3f9a0c1e7b2", "ada")).not.toBe(studentLabId("k3f9a0c1e7b2", "alan"));
    expect(studentLabId("k3f9a0c1e7b2", "ada")).toMatch(patterns.labId.regex);
  });
});

describe("old spreadsheets", () => {
  it("a lone CR ends a line, so errors still name the right line", () => {
    expect(errorOf("student,docker01,docker02\rAda,10.0.1.11,10.0.1.12\rBob,10.0.1.999,10.0.1.2\r")).toBe(
      'roster.csv:3: Bob: docker01 "10.0.1.999" is not an IP address',
    );
  });
});

describe("a teacher's roster mistakes, said as such", () => {
  it("one address for two hosts of a student, a header that is not ours, a ';'-separated file", () => {
    expect(errorOf("student,docker01,docker02\nAda,10.0.1.11,10.0.1.11\n")).toBe(
      "roster.csv:2: Ada: docker01 and docker02 are both 10.0.1.11",
    );
    expect(errorOf("Student,docker01,docker02\n")).toContain('the header reads "Student,docker01,docker02"');
    expect(errorOf("student;docker01;docker02\n")).toContain(
      "this file is separated by ';': save it as CSV with commas",
    );
  });
});
