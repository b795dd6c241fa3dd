import { describe, expect, it } from "vitest";
import type { MissingStep } from "../../src/class/grade-types.js";
import { classSummary, classTable, terminalText } from "../../src/class/report-table.js";
import { ALICE, BOB, HOSTILE_NAME, MALLORY, named, report } from "./fixture.js";

/** Every escape sequence the table may print itself: SGR (colors) only. */
const ANSI_SGR = /\u001b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ANSI_SGR, "");

describe("classTable", () => {
  it("one row per student with status, steps and checks, then the summary line", () => {
    const lines = classTable(report(), { color: false }).split("\n");
    expect(lines[0]).toBe("macvlan (graded 2026-12-03T10:00:00.000Z)");
    expect(lines[1]).toMatch(/^student\s+status\s+steps\s+checks$/);
    expect(lines.find((l) => l.startsWith("alice"))).toMatch(/^alice\s+as expected\s+9\/9\s+4\/4$/);
    expect(lines.find((l) => l.startsWith("bob"))).toMatch(/^bob\s+not as expected\s+7\/9\s+2\/4$/);
    expect(lines.find((l) => l.startsWith("<img"))).toMatch(
      /^<img src=x onerror=alert\(1\)>\s+unreachable\s+4\/9\s+0\/0$/,
    );
    expect(lines.at(-2)).toBe("3 students: 1 as expected, 1 not as expected, 1 unreachable");
    expect(lines.at(-1)).toBe("");
  });

  it("the columns line up: the status starts in the same column on every row", () => {
    const lines = classTable(report(), { color: false }).split("\n");
    const rows = lines.filter((l) => /^(student|alice|bob|<img)/.test(l));
    const columns = rows.map((l) => l.search(/status|as expected|not as expected|unreachable/));
    expect(new Set(columns).size).toBe(1);
  });

  it("under a student not as expected: what is missing and which pings are wrong, indented", () => {
    const text = classTable(report(), { color: false });
    expect(text).toContain("\n    missing: docker02: network mac_net10 missing\n");
    expect(text).toContain("\n    missing: docker02: container bbox11 not running\n");
    expect(text).toContain(
      "\n    ping: bbox11 → bbox12 (10.0.10.12): expected reachable, got could not run (container bbox11 not running)\n",
    );
    expect(text).toContain("\n    ping: bbox12 → bbox11 (10.0.10.11): expected reachable, got unreachable\n");
    // A ping as expected is not listed.
    expect(text).not.toContain("bbox13 → bbox11");
  });

  it("under an unreachable student: which hosts did not answer and why", () => {
    expect(classTable(report(), { color: false })).toContain("\n    unreachable: docker02: connection refused\n");
  });

  it("a student as expected gets no detail lines", () => {
    const lines = classTable(report([ALICE]), { color: false }).split("\n");
    expect(lines).toEqual([
      "macvlan (graded 2026-12-03T10:00:00.000Z)",
      expect.any(String),
      expect.any(String),
      "",
      "1 student: 1 as expected, 0 not as expected, 0 unreachable",
      "",
    ]);
  });

  it("at most 5 detail lines per student, then '… and N more'", () => {
    const missing: MissingStep[] = Array.from({ length: 12 }, (_, i) => ({
      host: "docker01",
      what: `network n${i} missing`,
    }));
    const many = { ...BOB, steps: { inPlace: 0, total: 12, missing } };
    const lines = classTable(report([many]), { color: false }).split("\n");
    const details = lines.filter((l) => l.startsWith("    "));
    // 12 missing steps and 3 pings not as expected: 5 shown, 10 counted.
    expect(details).toHaveLength(6);
    expect(details.slice(0, 5)).toEqual([0, 1, 2, 3, 4].map((i) => `    missing: docker01: network n${i} missing`));
    expect(details[5]).toBe("    … and 10 more");
  });

  it("colors only when asked, plain ANSI; the text is the same without them", () => {
    const bare = classTable(report(), { color: false });
    const colored = classTable(report(), { color: true });
    expect(bare).not.toContain("\u001b");
    expect(colored).toContain("\u001b[1;31mnot as expected\u001b[0m");
    expect(colored).toContain("\u001b[1;32mas expected\u001b[0m");
    expect(colored).toContain("\u001b[1;33munreachable\u001b[0m");
    expect(plain(colored)).toBe(bare);
  });

  it("a student's name and a host's text reach the terminal without control characters", () => {
    const hostile = [
      "eve\u001b]52;c;cm0gLXJmIH4=\u0007", // OSC 52: writes the clipboard
      "mal\u001b[2J\u001b[Hlory", // clears the screen
      "two\nlines",
      "back\rspace\b",
      "c1\u009b31m",
      "bidi\u202eeve\u2066",
    ];
    const students = hostile.map((name) => ({
      ...named(name),
      unreachable: [{ host: "docker02\u001b[1A", reason: "refused\u001b]0;owned\u0007\nsecond line" }],
      steps: { inPlace: 0, total: 1, missing: [{ host: "docker01", what: "network \u001b[31mx\u001b[0m missing" }] },
    }));
    for (const color of [false, true]) {
      const text = classTable(report(students), { color });
      // The only escape sequences left are the table's own colors.
      expect(text.replace(ANSI_SGR, "")).not.toMatch(
        /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
      );
      if (!color) expect(text).not.toContain("\u001b");
      // A newline in a name or a reason does not make a row of its own.
      const lines = text.split("\n");
      expect(lines.filter((l) => /\snot as expected\s+0\/1\s/.test(plain(l)))).toHaveLength(hostile.length);
      expect(lines.filter((l) => l.startsWith("    unreachable: "))).toHaveLength(hostile.length);
    }
    expect(classTable(report(students), { color: false })).toContain("eve?]52;c;cm0gLXJmIH4=?");
  });

  it("terminalText replaces C0, DEL, C1 and bidirectional controls, and keeps the rest", () => {
    expect(terminalText("a\u0000b\u001bc\u007fd\u0085e\u202ef\u2069g\th\ni")).toBe("a?b?c?d?e?f?g?h?i");
    expect(terminalText("Zoë Ñandú 名前 → ✓")).toBe("Zoë Ñandú 名前 → ✓");
  });

  it("a width cuts the detail lines and the names, not the counts or the summary", () => {
    const long = named("a-student-with-a-rather-long-name-from-the-class-list");
    const text = classTable(report([long, ALICE, MALLORY]), { color: false, width: 60 });
    const lines = text.split("\n");
    for (const l of lines.filter((l) => l.startsWith("    "))) expect([...l].length).toBeLessThanOrEqual(60);
    expect(lines.some((l) => l.startsWith("a-student-with-a-rather-long-name-from…"))).toBe(false);
    const row = lines.find((l) => l.startsWith("a-student"))!;
    expect(row).toMatch(/…\s+not as expected\s+7\/9\s+2\/4$/);
    expect([...row].length).toBeLessThanOrEqual(60);
    expect(lines.at(-2)).toBe("3 students: 1 as expected, 1 not as expected, 1 unreachable");
  });

  it("classSummary counts each status, and an empty class", () => {
    expect(classSummary(report([ALICE, ALICE, BOB]))).toBe(
      "3 students: 2 as expected, 1 not as expected, 0 unreachable",
    );
    expect(classSummary(report([]))).toBe("0 students: 0 as expected, 0 not as expected, 0 unreachable");
    expect(classTable(report([]), { color: false })).toContain("0 students:");
  });

  it("the hostile fixture name is printed as it is (it holds no control character)", () => {
    expect(classTable(report([MALLORY]), { color: false })).toContain(HOSTILE_NAME);
  });
});
