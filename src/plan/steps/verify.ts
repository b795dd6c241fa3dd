import { expectedProbes, hostOfEndpoint } from "../expectations.js";
import type { HostContext } from "../host-context.js";
import type { Probe, Step } from "../types.js";

/** One step per source container/namespace on this host, with the pings it runs. */
export function verifySteps({ lab, host }: HostContext, probes: Probe[] = expectedProbes(lab)): Step[] {
  const bySource = new Map<string, Probe[]>();
  for (const probe of probes) {
    if (hostOfEndpoint(lab, probe.from) !== host.name) continue;
    bySource.set(probe.from, [...(bySource.get(probe.from) ?? []), probe]);
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
