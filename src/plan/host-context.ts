import type { HostSpec, Lab, PersistMode } from "../labfile/model.js";
import { resolveTopology, type Topology } from "../topology/topology.js";
import type { HostFacts } from "./types.js";

/** What the step builders need to know about one host. */
export interface HostContext {
  lab: Lab;
  host: HostSpec;
  facts: HostFacts;
  persist: PersistMode;
  runsDocker: boolean;
  options: PlanOptions;
  /** The lab resolved once: parents, segments, modes (src/topology/). */
  topology: Topology;
}

/** Choices the user makes on the command line that change what the plan does. */
export interface PlanOptions {
  /** Restart dockerd when a reload does not apply insecure-registries (stops running containers). */
  allowDockerRestart?: boolean;
}

export function makeHostContext(
  lab: Lab,
  host: HostSpec,
  facts: HostFacts,
  options: PlanOptions = {},
  topology: Topology = resolveTopology(lab),
): HostContext {
  const persist: PersistMode = host.persist === "auto" ? (facts.os === "rhel" ? "ifcfg" : "debian") : host.persist;
  return { lab, host, facts, persist, runsDocker: dockerHosts(lab).includes(host.name), options, topology };
}

/** Hosts that take part in Docker work: a network, a container or the registry. */
export function dockerHosts(lab: Lab): string[] {
  const names = new Set<string>();
  lab.networks.forEach((n) => n.hosts.forEach((h) => names.add(h)));
  lab.containers.forEach((c) => names.add(c.host));
  if (lab.registry) names.add(lab.registry.host);
  return lab.hosts.map((h) => h.name).filter((h) => names.has(h));
}

/** "docker.io/library/busybox:latest" → "library/busybox:latest": the path inside our registry. */
export function registryPath(ref: string): string {
  const [first, ...rest] = ref.split("/");
  // A first part with a dot or a port (registry.example:5000) or "localhost" names a registry.
  const hasDomain = rest.length > 0 && (/[.:]/.test(first!) || first === "localhost");
  return hasDomain ? rest.join("/") : ref;
}

/** The image a container runs: through the lab registry when the registry seeds it. */
export function imageFor(lab: Lab, image: string): string {
  const seeded = lab.registry?.images.some((i) => i.ref === image);
  return seeded ? `${lab.registry!.endpoint}/${registryPath(image)}` : image;
}
