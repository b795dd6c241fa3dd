import { EXIT, type ExitCode } from "../errors.js";
import type { Lab } from "../labfile/model.js";
import type { Transport } from "../transport/types.js";
import { expectedProbes } from "../plan/expectations.js";
import { runProbes, type HostProbes, type ProbeResult } from "./run-probes.js";

/** The lab's proof, run: every expected probe, one script per host (lab check, and lab up's closing check). */
export async function runChecks(
  lab: Lab,
  transports: Map<string, Transport>,
  parallel: number,
  deadlineS?: number,
): Promise<ProbeResult[]> {
  const byHost = new Map<string, HostProbes>();
  const on = (host: string) => byHost.get(host) ?? byHost.set(host, { probes: [], targets: [] }).get(host)!;
  for (const probe of expectedProbes(lab)) {
    on(probe.fromHost).probes.push(probe);
    on(probe.toHost).targets.push(probe.to);
  }
  // Every ping waits at most count × timeout seconds and they run in parallel per host, but
  // each nsenter + ping costs time of its own (more on a slow, emulated host): allow for it per probe.
  const most = Math.max(0, ...[...byHost.values()].map((h) => h.probes.length));
  const timeoutMs = (deadlineS ?? lab.checks.count * lab.checks.timeout + 30 + 5 * most) * 1000;
  return runProbes(lab, byHost, transports, { parallel, timeoutMs });
}

/**
 * 0 all as expected, 1 any unexpected result, 4 a check could not run; the worst applies: an
 * unexpected result (1) before a check that could not run (4).
 */
export function checkExitCode(results: ProbeResult[]): ExitCode {
  if (results.some((r) => !r.asExpected && r.outcome !== "error")) return EXIT.labProblem;
  if (results.some((r) => r.outcome === "error")) return EXIT.checkNotRun;
  return EXIT.ok;
}
