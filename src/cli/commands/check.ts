import type { Command } from "commander";
import { EXIT, type ExitCode } from "../../errors.js";
import type { Probe } from "../../plan/types.js";
import type { Lab } from "../../spec/model.js";
import type { Transport } from "../../transport/types.js";
import { expectedProbes, hostOfEndpoint } from "../../verify/expectations.js";
import { runProbes, type ProbeResult } from "../../verify/run-probes.js";
import { loadValidLab } from "../read-lab.js";
import { addTargetOptions, openTargets, parallelOf, type TargetOptions } from "../targets.js";

export async function runChecks(lab: Lab, transports: Map<string, Transport>, parallel: number): Promise<ProbeResult[]> {
  const byHost = new Map<string, Probe[]>();
  for (const probe of expectedProbes(lab)) {
    const host = hostOfEndpoint(lab, probe.from)!;
    byHost.set(host, [...(byHost.get(host) ?? []), probe]);
  }
  // Every ping waits at most count × timeout seconds; they run in parallel per host.
  const timeoutMs = (lab.checks.count * lab.checks.timeout + 30) * 1000;
  return runProbes(byHost, transports, { parallel, timeoutMs });
}

export function printCheckResults(results: ProbeResult[], write: (line: string) => void): void {
  for (const r of results) {
    const got = r.reachable ? "reachable" : "unreachable";
    const verdict = r.asExpected ? "ok" : "UNEXPECTED";
    write(`${r.fromHost}: check: ${r.probe.from} → ${r.probe.to} (${r.probe.address}): ${got}, expected ${r.probe.expect}: ${verdict}${r.asExpected ? "" : ` (${r.detail}; ${r.probe.reason})`}`);
  }
  const bad = results.filter((r) => !r.asExpected).length;
  write(bad === 0 ? `checks: all ${results.length} as expected` : `checks: ${bad} of ${results.length} NOT as expected`);
}

export function registerCheck(program: Command, setExit: (code: ExitCode) => void): void {
  const command = program
    .command("check")
    .description("re-run the lab's ping checks: same network reachable, other networks unreachable, plus explicit checks")
    .argument("<file>", "lab file");
  addTargetOptions(command)
    .addHelpText("after", "\nExit code: 0 every result as expected, 1 any result unexpected, 3 a host cannot be reached.")
    .action(async (file: string, opts: TargetOptions) => {
      const lab = await loadValidLab(file);
      if (!lab) return setExit(EXIT.labProblem);
      const write = (line: string) => process.stdout.write(line + "\n");
      const targets = await openTargets(lab, opts, { create: false }, write);
      try {
        const results = await runChecks(lab, targets.transports, parallelOf(opts));
        printCheckResults(results, write);
        setExit(results.every((r) => r.asExpected) ? EXIT.ok : EXIT.labProblem);
      } finally {
        await targets.close();
      }
    });
}
