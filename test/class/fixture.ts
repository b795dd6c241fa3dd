import type { ClassReport, PingRow, StudentGrade } from "../../src/class/grade-types.js";

/** A student named to break an HTML page, a terminal and a spreadsheet at once. */
export const HOSTILE_NAME = `<img src=x onerror=alert(1)>`;

const ping = (
  from: string,
  to: string,
  address: string,
  expect: PingRow["expect"],
  got: PingRow["got"],
  detail = got === "reachable" ? "reply" : got === "unreachable" ? "no reply" : "",
): PingRow => ({ from, to, address, expect, got, asExpected: expect === got, detail });

/** The lab: bbox11 (docker01) and bbox12 (docker02) on mac_net10, bbox13 on docker01 apart. */
const allGood = (): PingRow[] => [
  ping("bbox11", "bbox12", "10.0.10.12", "reachable", "reachable"),
  ping("bbox12", "bbox11", "10.0.10.11", "reachable", "reachable"),
  ping("bbox11", "bbox13", "10.0.20.13", "unreachable", "unreachable"),
  ping("bbox13", "bbox11", "10.0.10.11", "unreachable", "unreachable"),
];

export const ALICE: StudentGrade = {
  student: "alice",
  file: "students/alice/lab.yaml",
  lab: "macvlan-alice",
  status: "as expected",
  unreachable: [],
  steps: { inPlace: 9, total: 9, missing: [] },
  checks: { asExpected: 4, total: 4, pings: allGood() },
};

/** docker02's network is gone and bbox11 is stopped: its pings could not run. */
export const BOB_MISSING = ["docker02: network mac_net10 missing", "docker02: container bbox11 not running"];
export const BOB: StudentGrade = {
  student: "bob",
  file: "students/bob/lab.yaml",
  lab: "macvlan-bob",
  status: "not as expected",
  unreachable: [],
  steps: {
    inPlace: 7,
    total: 9,
    missing: [
      { host: "docker02", what: "network mac_net10 missing" },
      { host: "docker02", what: "container bbox11 not running" },
    ],
  },
  checks: {
    asExpected: 2,
    total: 4,
    pings: [
      ping("bbox11", "bbox12", "10.0.10.12", "reachable", "could not run", "container bbox11 not running"),
      ping("bbox12", "bbox11", "10.0.10.11", "reachable", "unreachable"),
      ping("bbox11", "bbox13", "10.0.20.13", "unreachable", "could not run", "container bbox11 not running"),
      ping("bbox13", "bbox11", "10.0.10.11", "unreachable", "unreachable"),
    ],
  },
};

export const MALLORY: StudentGrade = {
  student: HOSTILE_NAME,
  file: "students/mallory/lab.yaml",
  lab: "macvlan-mallory",
  status: "unreachable",
  unreachable: [{ host: "docker02", reason: "connection refused" }],
  steps: { inPlace: 4, total: 9, missing: [] },
  checks: { asExpected: 0, total: 0, pings: [] },
};

export const report = (students: StudentGrade[] = [ALICE, BOB, MALLORY]): ClassReport => ({
  title: "macvlan",
  at: "2026-12-03T10:00:00.000Z",
  students,
});

/** A student with `name` and everything else of bob's. */
export const named = (name: string, base: StudentGrade = BOB): StudentGrade => ({ ...base, student: name });
