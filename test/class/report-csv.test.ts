import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classCsv, csvField, defuseFormula } from "../../src/class/report-csv.js";
import { ALICE, BOB, MALLORY, named, report } from "./fixture.js";

const HEADER = "student,status,steps_in_place,steps_total,checks_as_expected,checks_total,unreachable_hosts";

/** RFC 4180, strictly: what a spreadsheet reads back (records of fields). Throws on a malformed file. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') break;
        else field += text[i++];
      }
      i++;
      if (i < text.length && text[i] !== "," && text[i] !== "\n") throw new Error(`text after a quote at ${i}`);
    } else if (text[i] === ",") {
      record.push(field);
      field = "";
      i++;
    } else if (text[i] === "\n") {
      record.push(field);
      records.push(record);
      field = "";
      record = [];
      i++;
    } else {
      if (text[i] === "\r") throw new Error(`a bare CR at ${i}`);
      field += text[i++];
    }
  }
  if (field !== "" || record.length > 0) throw new Error("the last line has no line end");
  return records;
}

describe("classCsv", () => {
  it("a header, then one row per student; LF line ends, the last line too", () => {
    const text = classCsv(report());
    expect(text.split("\n")).toEqual([
      HEADER,
      "alice,as expected,9,9,4,4,",
      "bob,not as expected,7,9,2,4,",
      "<img src=x onerror=alert(1)>,unreachable,4,9,0,0,docker02",
      "",
    ]);
    expect(text).not.toContain("\r");
  });

  it("unreachable hosts are joined with a space", () => {
    const two = {
      ...MALLORY,
      student: "m",
      unreachable: [{ host: "docker01", reason: "timeout" }, ...MALLORY.unreachable],
    };
    expect(classCsv(report([two])).split("\n")[1]).toBe("m,unreachable,4,9,0,0,docker01 docker02");
  });

  it("RFC 4180: a field with a comma, a quote, CR or LF is quoted and its quotes doubled", () => {
    const names = ["Smith, Jane", 'Jane "JJ" Smith', "two\nlines", "cr\rhere", "crlf\r\nhere", "plain"];
    const text = classCsv(report(names.map((n) => named(n))));
    expect(text).toContain('\n"Smith, Jane",not as expected,');
    expect(text).toContain('\n"Jane ""JJ"" Smith",not as expected,');
    expect(text).toContain('\n"two\nlines",not as expected,');
    expect(text).toContain('\n"cr\rhere",');
    expect(text).toContain("\nplain,not as expected,");
    const records = parseCsv(text);
    expect(records).toHaveLength(names.length + 1);
    expect(records.slice(1).map((r) => r[0])).toEqual(names);
    for (const r of records) expect(r).toHaveLength(7);
  });

  it("formula injection: a field starting with =, +, -, @, tab or CR gets a leading '", () => {
    const names = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://evil","click")', "  =1+1"];
    const text = classCsv(report(names.map((n) => named(n))));
    expect(text).toContain("\n'=1+1,");
    expect(text).toContain("\n'+1,");
    expect(text).toContain("\n'-1,");
    expect(text).toContain("\n'@SUM(A1),");
    expect(text).toContain("\n'\tx,");
    expect(text).toContain('\n"\'\rx",');
    expect(text).toContain('\n"\'=HYPERLINK(""http://evil"",""click"")",');
    expect(text).toContain("\n'  =1+1,");
    expect(
      parseCsv(text)
        .slice(1)
        .map((r) => r[0]),
    ).toEqual(names.map((n) => `'${n}`));
  });

  it("the unreachable hosts are defused too; names that only contain the characters are not touched", () => {
    const host = { ...MALLORY, student: "a-b=c", unreachable: [{ host: "-docker", reason: "x" }] };
    expect(classCsv(report([host])).split("\n")[1]).toBe("a-b=c,unreachable,4,9,0,0,'-docker");
  });

  it("the counts stay numbers", () => {
    const row = parseCsv(classCsv(report([BOB])))[1]!;
    expect(row.slice(2, 6)).toEqual(["7", "9", "2", "4"]);
  });

  it("whatever a name holds, a spreadsheet reads back that name (defused), in one field of one row", () => {
    const char = fc.constantFrom(",", '"', "\n", "\r", "=", "+", "-", "@", "\t", " ", "'", "a", "é", "名");
    fc.assert(
      fc.property(fc.array(fc.string({ unit: char, maxLength: 12 }), { maxLength: 5 }), (names) => {
        const records = parseCsv(classCsv(report(names.map((n) => named(n)))));
        expect(records).toHaveLength(names.length + 1);
        records.slice(1).forEach((r, i) => {
          expect(r).toHaveLength(7);
          expect(r[0]).toBe(defuseFormula(names[i]!));
          expect(r[0]).not.toMatch(/^ *[=+\-@\t\r]/);
        });
      }),
      { seed: 20_261_203, numRuns: 300 },
    );
  });

  it("csvField and defuseFormula on their own", () => {
    expect(csvField("")).toBe("");
    expect(csvField('a"b')).toBe('"a""b"');
    expect(defuseFormula("alice")).toBe("alice");
    expect(defuseFormula("")).toBe("");
    expect(defuseFormula("'=x")).toBe("'=x");
  });

  it("an empty class is its header alone", () => {
    expect(classCsv(report([]))).toBe(`${HEADER}\n`);
    expect(parseCsv(classCsv(report([ALICE])))[0]).toEqual(HEADER.split(","));
  });
});
