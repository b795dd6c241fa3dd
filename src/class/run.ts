import { writeFile } from "node:fs/promises";
import pLimit from "p-limit";
import { fanOut, type Emit } from "../apply/events.js";
import { preflightAll } from "../apply/preflight.js";
import { loadValidLab } from "../cli/read-lab.js";
import { policyOf, targetChoice } from "../cli/targets.js";
import { firstCtrlCStops } from "../cli/ctrl-c.js";
import { openTargets, type TargetChoice, type Targets } from "../core/targets.js";
import { upLab } from "../core/up.js";
import { downLab } from "../core/down.js";
import { EXIT, LabError, type ExitCode } from "../errors.js";
import type { Lab } from "../labfile/model.js";
import { buildPlan } from "../plan/build-plan.js";
import { logFileView } from "../report/log-file.js";
import { plainView } from "../report/plain.js";
import { runChecks } from "../verify/check.js";
import type { ClassRunFlags } from "../cli/commands/class.js";
import type { ClassReport, StudentGrade } from "./grade-types.js";
import { gradeHost, pingRows } from "./grade.js";
import { readClass, type ClassMember } from "./manifest.js";
import { terminalText } from "./report-table.js";
import { base, invalid, stopped, unreachable } from "./student-grades.js";

/**
 * `lab class up|check|down DIR`: every student's lab, `--parallel` students at once, each
 * student's hosts all at once as in `lab up`. Every line names its student; one summary at the
 * end. A student who cannot be reached is reported and the others go on.
 */
export async function runClass(
  verb: "up" | "check" | "down",
  dir: string,
  opts: ClassRunFlags,
  say: (line: string) => void,
): Promise<ExitCode> {
  // The flags every command that reaches hosts checks; --parallel counts students here.
  const choice = targetChoice(opts);
  const students = choice.parallel;
  const { members, manifest } = await readClass(dir);
  // With --json, stdout holds the one JSON document: progress goes to stderr. Every line is
  // printable text only: student names and host answers reach a terminal.
  const out = opts.json ? (l: string) => process.stderr.write(l + "\n") : say;
  const progress = (text: string) => text.split("\n").forEach((l) => out(terminalText(l)));
  const policy = policyOf(opts);
  const labs = new Map<ClassMember, Lab | undefined>();
  for (const member of members) labs.set(member, await loadValidLab(member.file, policy));
  let limit = pLimit(students);
  // One lab run at a time per host (its lock): students who share a host take turns.
  if (!opts.sandbox && students > 1 && sharesHosts([...labs.values()])) {
    progress("students share hosts: one student at a time (a host takes one lab run at a time)");
    limit = pLimit(1);
  }
  // As in lab up: Ctrl-C lets the commands already running finish, records them, and stops.
  const ctrlC = firstCtrlCStops(progress, "commands");
  const grades = await Promise.all(
    members.map((member) =>
      limit(async (): Promise<StudentGrade> => {
        // A message of several lines (one per host) keeps the student on each.
        const line = (text: string) => text.split("\n").forEach((l) => progress(`${member.student}: ${l}`));
        const lab = labs.get(member);
        if (ctrlC.signal.aborted) return stopped(member);
        if (!lab) return invalid(member, "is not a valid lab file (see above)");
        if (!lab.id) return invalid(member, "has no id: lab class generate writes one (or add `id:` under name:)");
        try {
          // Each student's hosts all at once, as in lab up.
          const where = { ...choice, parallel: lab.hosts.length };
          return await forStudent(verb, member, lab, where, line, ctrlC.signal);
        } catch (err) {
          // Ctrl-C reaches the terminal's whole process group: a command lab started locally
          // (the sandbox's) may have died of it. That is the stop asked for, not a bug.
          if (ctrlC.signal.aborted) {
            line(`stopped by Ctrl-C (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
            return stopped(member);
          }
          if (!(err instanceof LabError)) throw err;
          // Never made (not "its hosts have stopped"): the class command that makes them.
          if (err.code === "no-sandbox" && !err.message.includes("stopped"))
            line(`no running sandbox: run lab class up ${dir} --sandbox first`);
          else line(`${err.exitCode === EXIT.cannotRun ? "cannot run here" : "failed"}: ${err.located}`);
          return unreachable(
            member,
            err,
            lab.hosts.map((h) => h.name),
          );
        }
      }),
    ),
  ).finally(() => ctrlC.done());
  const report: ClassReport = {
    title: titleOf(manifest.lab),
    at: new Date().toISOString(),
    students: grades,
  };
  await writeOutputs(verb, report, opts, say);
  return classExitCode(grades);
}

const titleOf = (labPath: string) => labPath.replace(/^.*\//, "").replace(/\.ya?ml$/, "");

/**
 * 0 every student as expected; 1 any not as expected (a lab file invalid, a step failed, a wrong
 * ping); else 3 any unreachable.
 */
export function classExitCode(grades: StudentGrade[]): ExitCode {
  if (grades.some((g) => g.status === "not as expected")) return EXIT.labProblem;
  if (grades.some((g) => g.status === "unreachable")) return EXIT.cannotRun;
  return EXIT.ok;
}

/** Two labs with a host address in common (students sharing hosts, as generate --shared makes them). */
function sharesHosts(labs: (Lab | undefined)[]): boolean {
  const seen = new Set<string>();
  for (const lab of labs) {
    const own = new Set((lab?.hosts ?? []).map((h) => `${h.ssh.host}:${h.ssh.port}`));
    for (const a of own) if (seen.has(a)) return true;
    own.forEach((a) => seen.add(a));
  }
  return false;
}

async function forStudent(
  verb: "up" | "check" | "down",
  member: ClassMember,
  lab: Lab,
  where: TargetChoice,
  line: (text: string) => void,
  signal: AbortSignal,
): Promise<StudentGrade> {
  const logDir = `.lab/logs/${lab.name}/${new Date().toISOString().replace(/[:.]/g, "-")}-class-${verb}`;
  const view: Emit = fanOut(logFileView(logDir), plainView(line, { verbose: false }));
  if (verb === "down") return downStudent(member, lab, where, view, line, signal);
  const targets = await openTargets(lab, where, { create: verb === "up" }, line);
  try {
    if (verb === "up") {
      const { result } = await upLab(lab, targets, {
        parallel: where.parallel,
        vlanStandin: where.vlanStandin,
        allowDockerRestart: false,
        signal,
        viewFor: () => view,
      });
      if (result.interrupted) {
        line("stopped by Ctrl-C; what was done is recorded: lab class up continues, lab class down undoes it");
        return stopped(member);
      }
      const changed = result.outcomes.filter((o) => o.status === "changed").length;
      const failed = result.outcomes.filter((o) => o.status === "failed");
      if (failed.length > 0) {
        line(`up failed (${failed.length} step${failed.length === 1 ? "" : "s"}); the log is in ${logDir}`);
        return {
          ...base(member, lab),
          status: "not as expected",
          steps: {
            inPlace: result.outcomes.filter((o) => o.status === "ok" || o.status === "changed").length,
            total: result.outcomes.length,
            missing: failed.map((o) => ({
              host: o.host,
              what: `${o.step.title}: failed${o.error ? `: ${o.error.message}` : ""}`,
            })),
          },
        };
      }
      line(changed === 0 ? "nothing to change: the lab was already up" : `up (${changed} changes)`);
    }
    return await gradeStudent(member, lab, targets, line, where.vlanStandin);
  } finally {
    await targets.close();
  }
}

/** Read every host's steps (changing nothing), then run the lab's pings. */
async function gradeStudent(
  member: ClassMember,
  lab: Lab,
  targets: Targets,
  line: (text: string) => void,
  vlanStandin: boolean,
): Promise<StudentGrade> {
  const facts = await preflightAll(lab, targets.transports, { vlanStandin, standins: targets.standins });
  const plan = buildPlan(lab, facts);
  const hosts = await Promise.all(
    [...targets.transports.values()].map((t) => gradeHost(lab, plan, t, lab.timeouts.command * 1000)),
  );
  const pings = pingRows(await runChecks(lab, targets.transports, lab.hosts.length));
  const missing = hosts.flatMap((h) => h.missing);
  const grade: StudentGrade = {
    ...base(member, lab),
    steps: {
      inPlace: hosts.reduce((n, h) => n + h.inPlace, 0),
      total: hosts.reduce((n, h) => n + h.total, 0),
      missing,
    },
    checks: { asExpected: pings.filter((p) => p.asExpected).length, total: pings.length, pings },
  };
  grade.status =
    missing.length === 0 && grade.checks.asExpected === grade.checks.total ? "as expected" : "not as expected";
  line(
    `${grade.status}: ${grade.steps.inPlace}/${grade.steps.total} steps in place, ${grade.checks.asExpected}/${grade.checks.total} checks as expected`,
  );
  return grade;
}

/** The student's lab undone (their objects only: state, labels and names are the lab's own), then their sandbox. */
async function downStudent(
  member: ClassMember,
  lab: Lab,
  where: TargetChoice,
  view: Emit,
  line: (text: string) => void,
  signal: AbortSignal,
): Promise<StudentGrade> {
  const grade = base(member, lab);
  const result = await downLab(lab, where, { removeSandbox: where.sandbox, emit: view, signal, log: line });
  if (result.kind === "not running") {
    line(result.removed.length ? `sandbox: removed ${result.removed.join(", ")}` : "nothing was running");
    return grade;
  }
  if (result.kind === "sandbox removed unreachable") {
    line(`cannot undo the lab on its hosts (${result.error.message}); removed the sandbox anyway`);
    line(`sandbox: removed ${result.removed.join(", ")}`);
    return grade;
  }
  const { outcomes } = result;
  const failed = outcomes.flatMap((o) => [
    ...o.failed.map((f) => ({ host: o.host, what: `${f.title}: ${f.message}` })),
    ...(o.refused ? [{ host: o.host, what: o.refused }] : []),
  ]);
  line(`down: ${outcomes.reduce((n, o) => n + o.undone, 0)} undone, ${failed.length} failed`);
  if (result.sandbox === "kept") line("sandbox: kept, since a host refused its state");
  else if (result.sandbox) line(`sandbox: removed ${result.sandbox.removed.join(", ")}`);
  if (outcomes.some((o) => o.interrupted)) return stopped(member);
  if (failed.length > 0)
    return { ...grade, status: "not as expected", steps: { inPlace: 0, total: 0, missing: failed } };
  return grade;
}

async function writeOutputs(
  verb: string,
  report: ClassReport,
  opts: ClassRunFlags,
  say: (line: string) => void,
): Promise<void> {
  if (opts.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } else if (verb !== "down") {
    const { classTable } = await import("./report-table.js");
    say("");
    say(
      classTable(report, {
        color: process.stdout.isTTY === true && !process.env.NO_COLOR,
        width: process.stdout.columns,
      }),
    );
  } else {
    const bad = report.students.filter((g) => g.status !== "as expected");
    say(
      `${report.students.length - bad.length} of ${report.students.length} students' labs taken down${bad.length ? `; not: ${bad.map((g) => g.student).join(", ")}` : ""}`,
    );
  }
  // Said on stderr: stdout may be the JSON document.
  const wrote = (file: string, what: string) => process.stderr.write(`wrote ${file} (${what})\n`);
  if (opts.csv) {
    await writeFile(opts.csv, (await import("./report-csv.js")).classCsv(report));
    wrote(opts.csv, "CSV, a row per student");
  }
  if (opts.junit) {
    await writeFile(opts.junit, (await import("./report-junit.js")).classJunit(report));
    wrote(opts.junit, "JUnit XML, a testsuite per student");
  }
  if (opts.html) {
    await writeFile(opts.html, (await import("./report-html.js")).classHtml(report));
    wrote(opts.html, "one page, open it in a browser");
  }
}
