import { expectedProbes } from "../expectations.js";
import type { HostContext } from "../host-context.js";
import type { Probe, Step } from "../types.js";

/** One step per source container/namespace on this host, with the pings it runs. */
export function verifySteps({ lab, host }: HostContext, probes: Probe[] = expectedProbes(lab)): Step[] {
  const bySource = new Map<string, Probe[]>();
  for (const probe of probes) {
    if (probe.fromHost !== host.name) continue;
    const list = bySource.get(probe.from);
    if (list) list.push(probe);
    else bySource.set(probe.from, [probe]);
  }
  return [...bySource].map(([from, list]) => ({
    id: `check:${from}`,
    phase: "verify",
    title: `ping from ${from}: ${list.filter((p) => p.expect === "reachable").length} reachable, ${list.filter((p) => p.expect === "unreachable").length} unreachable expected`,
    actions: [],
    undo: [],
    probes: list,
  }));
}
