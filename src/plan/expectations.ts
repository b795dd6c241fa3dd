import { isIpv6 } from "../net/cidr.js";
import type { Lab } from "../labfile/model.js";
import { expectedOutcome } from "../topology/outcome.js";
import { resolveTopology, type TopoEndpoint, type Topology } from "../topology/topology.js";
import { sh } from "./shell.js";
import type { Probe } from "./types.js";

/** The ping itself: count and timeout from the lab, -6 for an IPv6 target. */
export function pingArgs(lab: Lab, address: string): string[] {
  return [
    "ping",
    ...(isIpv6(address) ? ["-6"] : []),
    "-c",
    String(lab.checks.count),
    "-W",
    String(lab.checks.timeout),
    address,
  ];
}

/**
 * The ping as a student types it: from a container, a namespace, or the host's own namespace.
 * (lab check runs the same ping from the endpoint's network namespace with nsenter: see
 * src/verify/run-probes.ts.)
 */
export function pingCommand(lab: Lab, from: Pick<TopoEndpoint, "name" | "kind">, address: string): string {
  const ping = pingArgs(lab, address);
  if (from.kind === "container") return sh("docker", "exec", from.name, ...ping);
  if (from.kind === "namespace") return sh("ip", "netns", "exec", from.name, ...ping);
  return sh(...ping);
}

const addressOf = (e: TopoEndpoint, ipv6: boolean): string | undefined =>
  e.interfaces.flatMap((i) => i.addresses).find((a) => (a.family === 6) === ipv6)?.ip;

/** Matrix pairs: containers with containers, namespaces with namespaces, and (checks.hosts) hosts with all. */
const paired = (lab: Lab, from: TopoEndpoint, to: TopoEndpoint): boolean =>
  from !== to &&
  (from.kind === to.kind
    ? from.kind !== "host" || lab.checks.hosts
    : lab.checks.hosts && (from.kind === "host" || to.kind === "host"));

/**
 * Every probe the lab's checks imply: the matrix (if on) plus explicit checks, which win.
 * The matrix pings each family both ends have: IPv4, and IPv6 too on dual-stack networks
 * (an IPv6 probe's key ends in "/6"); a target with IPv6 only is pinged over IPv6. What each
 * ping should give, and why, is the topology's to say (src/topology/outcome.ts).
 */
export function expectedProbes(lab: Lab, topology: Topology = resolveTopology(lab)): Probe[] {
  const all = topology.endpoints;
  const byName = new Map(all.map((e) => [e.name, e]));
  const probes = new Map<string, Probe>();
  const probe = (from: TopoEndpoint, to: TopoEndpoint, address: string, explicit: Probe["expect"] | undefined) => {
    const implied = expectedOutcome(topology, from, to, address, lab.checks.routed);
    const expect = explicit ?? implied.expect;
    const reason =
      implied.expect === expect
        ? implied.reason
        : `declared in checks.explicit (the topology suggests ${implied.expect}: ${implied.reason})`;
    probes.set(probeKey(from.name, to.name, address), {
      from: from.name,
      fromHost: from.host,
      to: to.name,
      toHost: to.host,
      address,
      expect,
      reason,
      command: pingCommand(lab, from, address),
      explicit: explicit !== undefined,
    });
  };

  if (lab.checks.matrix) {
    for (const from of all) {
      for (const to of all) {
        if (!paired(lab, from, to)) continue;
        const v4 = addressOf(to, false);
        const v6 = addressOf(to, true);
        const addresses = [v4, v6 && (!v4 || addressOf(from, true)) ? v6 : undefined].filter((a): a is string => !!a);
        for (const address of addresses) probe(from, to, address, undefined);
      }
    }
  }
  for (const check of lab.checks.explicit) {
    const to = byName.get(check.to)!;
    probe(byName.get(check.from)!, to, addressOf(to, check.ipv6)!, check.expect);
  }
  return [...probes.values()];
}

const probeKey = (from: string, to: string, address: string) => `${from}>${to}${isIpv6(address) ? "/6" : ""}`;
