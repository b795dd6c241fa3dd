import type { Lab } from "../labfile/model.js";
import { makeHostContext, type PlanOptions } from "./host-context.js";
import {
  containerSteps,
  daemonSteps,
  distributeSteps,
  networkSteps,
  registrySteps,
  seedSteps,
} from "./steps/docker.js";
import { interfaceSteps } from "./steps/interfaces.js";
import { kernelSteps } from "./steps/kernel.js";
import { namespaceSteps } from "./steps/namespaces.js";
import { verifySteps } from "./steps/verify.js";
import { expectedProbes } from "./expectations.js";
import { PHASES, type HostFacts, type Plan } from "./types.js";
import { resolveTopology } from "../topology/topology.js";

/** Every step builder by name, in plan order (verify steps take the lab's probes, built once). */
export const stepBuilders = {
  kernel: kernelSteps,
  interfaces: interfaceSteps,
  namespaces: namespaceSteps,
  daemon: daemonSteps,
  networks: networkSteps,
  registry: registrySteps,
  seed: seedSteps,
  distribute: distributeSteps,
  containers: containerSteps,
  verify: verifySteps,
} as const;
const builders = Object.values(stepBuilders).filter((build) => build !== verifySteps);

/** Facts for a host that has not been asked: its declared OS, or RHEL as in the classic exercise. */
export function assumedFacts(lab: Lab, overrideOs?: HostFacts["os"]): Record<string, HostFacts> {
  return Object.fromEntries(
    lab.hosts.map((h) => [
      h.name,
      { os: overrideOs ?? (h.os === "auto" ? "rhel" : h.os), detected: false } satisfies HostFacts,
    ]),
  );
}

/** The whole plan: pure, from the lab and what is known of each host. */
export function buildPlan(
  lab: Lab,
  facts: Record<string, HostFacts> = assumedFacts(lab),
  options: PlanOptions = {},
): Plan {
  const topology = resolveTopology(lab);
  const probes = expectedProbes(lab, topology);
  const order = new Map<string, number>(PHASES.map((p, i) => [p.id, i]));
  return {
    lab: lab.name,
    file: lab.file,
    hosts: lab.hosts.map((host) => {
      const hostFacts = facts[host.name] ?? assumedFacts(lab)[host.name]!;
      const ctx = makeHostContext(lab, host, hostFacts, options, topology);
      const steps = [...builders.flatMap((build) => build(ctx)), ...verifySteps(ctx, probes)];
      // Stable sort keeps each builder's own order inside a phase.
      steps.sort((a, b) => order.get(a.phase)! - order.get(b.phase)!);
      return { host: host.name, address: host.address, facts: hostFacts, steps };
    }),
  };
}
