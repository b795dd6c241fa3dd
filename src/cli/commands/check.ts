import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { EXIT, LabError, type ExitCode } from "../../errors.js";
import type { Probe } from "../../plan/types.js";
import { checkGrid, checkJson, checkJunit } from "../../report/check-view.js";
import type { Lab } from "../../spec/model.js";
import type { Transport } from "../../transport/types.js";
import { expectedProbes, hostOfEndpoint } from "../../verify/expectations.js";
import { runProbes, type ProbeResult } from "../../verify/run-probes.js";
import { loadValidLab } from "../read-lab.js";
import { addTargetOptions, policyOf, openTargets, parallelOf, type TargetOptions } from "../targets.js";

export async function runChecks(lab: Lab, transports: Map<string, Transport>, parallel: number, deadlineS?: number): Promise<ProbeResult[]> {
  const byHost = new Map<string, Probe[]>();
  for (const probe of expectedProbes(lab)) {
    const host = hostOfEndpoint(lab, probe.from)!;
    byHost.set(host, [...(byHost.get(host) ?? []), probe]);
  }
  // Every ping waits at most count × timeout seconds and they run in parallel per host, but
  // each `docker exec` costs time of its own (seconds on a slow host): allow for it per probe.
  const most = Math.max(0, ...[...byHost.values()].map((p) => p.length));
  const timeoutMs = (deadlineS ?? lab.checks.count * lab.checks.timeout + 30 + 5 * most) * 1000;
  return runProbes(lab, byHost, transports, { parallel, timeoutMs });
}

/** 0 all as expected, 1 any unexpected result, 4 a check could not run; the worst applies: an unexpected result (1) before a check that could not run (4). */
export function checkExitCode(results: ProbeResult[]): ExitCode {
  if (results.some((r) => !r.asExpected && r.outcome !== "error")) return EXIT.labProblem;
  if (results.some((r) => r.outcome === "error")) return EXIT.checkNotRun;
  return EXIT.ok;
}

export function printCheckResults(results: ProbeResult[], write: (line: string) => void, color = false): void {
  checkGrid(results, color).forEach(write);
  for (const r of results.filter((r) => !r.asExpected)) {
    const what = r.outcome === "error" ? `could not run: ${r.detail}` : `${r.outcome}, expected ${r.probe.expect} (${r.probe.reason})`;
    write(`${r.fromHost}: check: ${r.probe.from} → ${r.probe.to} (${r.probe.address} on ${r.probe.toHost}): ${what}`);
    write(`${r.fromHost}:   ${r.probe.command}`);
  }
  const bad = results.filter((r) => !r.asExpected).length;
  write(bad === 0 ? `checks: all ${results.length} as expected` : `checks: ${bad} of ${results.length} NOT as expected`);
}

interface CheckOptions extends TargetOptions {
  json?: boolean;
  junit?: string;
  deadline?: string;
}

export function registerCheck(program: Command, setExit: (code: ExitCode) => void): void {
  const command = program
    .command("check")
    .description("re-run the lab's proof: every pair on one network reachable, across networks unreachable, plus explicit checks")
    .argument("<file>", "lab file")
    .option("--json", "print one JSON document with every result")
    .option("--junit <file>", "also write the results as JUnit XML (for CI pipelines)")
    .option("--deadline <seconds>", "give up on a host's pings after this long");
  addTargetOptions(command)
    .addHelpText(
      "after",
      `
Pings run as one script per source host, all targets in parallel. Each result shows the
target's address, what was expected and why.
Exit code: 0 every result as expected, 1 any result unexpected (it wins over 4), 4 a check
could not run (a container or namespace missing), 3 a host cannot be reached.`,
    )
    .action(async (file: string, opts: CheckOptions) => {
      const lab = await loadValidLab(file, policyOf(opts));
      if (!lab) return setExit(EXIT.labProblem);
      const deadline = opts.deadline === undefined ? undefined : Number(opts.deadline);
      if (deadline !== undefined && !(deadline > 0)) throw new LabError(`--deadline ${opts.deadline}: expected seconds > 0`, "usage");
      const write = (line: string) => process.stdout.write(line + "\n");
      const log = opts.json ? (line: string) => process.stderr.write(line + "\n") : write;
      const started = Date.now();
      const targets = await openTargets(lab, opts, { create: false }, log);
      try {
        const results = await runChecks(lab, targets.transports, parallelOf(opts), deadline);
        const code = checkExitCode(results);
        if (opts.json) write(checkJson(lab.name, results, code));
        else printCheckResults(results, write, process.stdout.isTTY && !process.env.NO_COLOR);
        if (opts.junit) await writeFile(opts.junit, checkJunit(lab.name, results, (Date.now() - started) / 1000));
        setExit(code);
      } finally {
        await targets.close();
      }
    });
}
