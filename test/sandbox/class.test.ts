import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, scratchLab, sshRun } from "../helpers/real-hosts.js";

/**
 * A class, as a teacher runs one: the repo's sample roster (3 students) through generate →
 * handouts → class up → class check (all as expected) → one student's lab broken by hand →
 * class check names exactly that student and what is missing → one student's host stops
 * answering → class down (nothing left). Real sshd and dockerd per sandbox host.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED class sandbox tests: ${skip}`);

const ROSTER = join(process.cwd(), "labs", "class", "roster.csv");
const STUDENTS = ["Ada Lovelace", "Alan Turing", "Grace Hopper"];

describe.skipIf(!!skip)("a class of three in the sandbox", () => {
  const { dir, file } = scratchLab("labs/single-network.yaml", "t-class");
  const labs = () =>
    JSON.parse(readFileSync(join(dir, "class", "class.json"), "utf8")).students as { student: string; lab: string }[];
  const labOf = (student: string) => labs().find((s) => s.student === student)!.lab;
  const netns = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });

  afterAll(() => {
    if (existsSync(join(dir, "class"))) lab(dir, "class", "down", "class", "--sandbox");
  });

  it("generates one valid lab per student, and their handouts", () => {
    const g = lab(dir, "class", "generate", file, "--roster", ROSTER, "--out", "class");
    expect(g.code, g.stderr).toBe(0);
    expect(labs().map((s) => s.student)).toEqual(STUDENTS);
    const h = lab(dir, "class", "handouts", "class", "--out", "handouts");
    expect(h.code, h.stderr).toBe(0);
    for (const slug of ["ada-lovelace", "alan-turing", "grace-hopper"])
      expect(readdirSync(join(dir, "handouts", slug)).sort()).toEqual([
        "docker01.sh",
        "docker02.sh",
        "index.html",
        "index.md",
        "topology.svg",
      ]);
    const page = readFileSync(join(dir, "handouts", "alan-turing", "index.html"), "utf8");
    expect(page).toContain("Alan Turing");
    expect(page).toContain("<svg");
    expect(page).toContain("192.168.1.31");
  });

  it("builds every student's lab and grades them all as expected", () => {
    const up = lab(dir, "class", "up", "class", "--sandbox");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    for (const s of STUDENTS)
      expect(up.stdout).toContain(`${s}: as expected: 11/11 steps in place, 2/2 checks as expected`);
    const check = lab(dir, "class", "check", "class", "--sandbox", "--json");
    expect(check.code, check.stderr).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.students.map((s: { student: string; status: string }) => [s.student, s.status])).toEqual(
      STUDENTS.map((s) => [s, "as expected"]),
    );
  });

  it("names exactly the student whose lab was broken by hand, and what is missing", () => {
    const alan = labOf("Alan Turing");
    sshRun(dir, alan, "docker02", "docker stop -t 1 bbox2 >/dev/null && docker network rm mac_net1 >/dev/null");
    const check = lab(
      dir,
      "class",
      "check",
      "class",
      "--sandbox",
      "--csv",
      "grades.csv",
      "--html",
      "report.html",
      "--junit",
      "grades.xml",
    );
    expect(check.code, check.stderr).toBe(1);
    expect(check.stdout).toContain("Alan Turing: not as expected: 9/11 steps in place, 0/2 checks as expected");
    expect(check.stdout).toContain("missing: docker02: network mac_net1 missing");
    expect(check.stdout).toContain("missing: docker02: container bbox2 not running");
    expect(readFileSync(join(dir, "grades.csv"), "utf8").split("\n").slice(1, 4)).toEqual([
      "Ada Lovelace,as expected,11,11,2,2,",
      "Alan Turing,not as expected,9,11,0,2,",
      "Grace Hopper,as expected,11,11,2,2,",
    ]);
    const json = JSON.parse(lab(dir, "class", "check", "class", "--sandbox", "--json").stdout);
    const missing = (student: string) =>
      json.students.find((s: { student: string }) => s.student === student).steps.missing;
    expect(missing("Alan Turing")).toEqual([
      { host: "docker02", what: "network mac_net1 missing" },
      { host: "docker02", what: "container bbox2 not running" },
    ]);
    expect(missing("Ada Lovelace")).toEqual([]);
    expect(missing("Grace Hopper")).toEqual([]);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain('data-student="Alan Turing"');
    expect(readFileSync(join(dir, "grades.xml"), "utf8").match(/<testsuite /g)).toHaveLength(3);
  });

  it("repairs with class up; a student whose host stops answering is unreachable (exit 3), the others graded", () => {
    expect(lab(dir, "class", "up", "class", "--sandbox").code).toBe(0);
    const grace = labOf("Grace Hopper");
    // Her docker02 stops answering SSH: every sshd in its namespace is gone (the host itself runs on).
    const pids = execFileSync("ip", ["netns", "pids", `lsb-${grace}-h-docker02`], { encoding: "utf8" }).split(/\s+/);
    const sshd = pids.filter((pid) => pid && readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "sshd");
    expect(sshd.length).toBeGreaterThan(0);
    for (const pid of sshd) process.kill(Number(pid), "SIGKILL");
    const check = lab(dir, "class", "check", "class", "--sandbox");
    expect(check.code, check.stdout + check.stderr).toBe(3);
    expect(check.stdout).toMatch(/Grace Hopper: cannot run here: .*its hosts have stopped/);
    expect(check.stdout).toContain("3 students: 2 as expected, 0 not as expected, 1 unreachable");
    expect(check.stdout).toContain("Ada Lovelace: as expected");
    expect(check.stdout).toContain("Alan Turing: as expected");
  });

  it("takes every student's lab down, leaving nothing of theirs", () => {
    const down = lab(dir, "class", "down", "class", "--sandbox");
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(down.stdout).toContain("3 of 3 students' labs taken down");
    for (const s of labs()) expect(netns()).not.toContain(`lsb-${s.lab}-`);
    // (.images: the sandbox's image cache, shared by every lab in this working directory.)
    expect(readdirSync(join(dir, ".lab", "sandbox")).filter((f) => f !== ".images")).toEqual([]);
  });
});
