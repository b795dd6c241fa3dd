import { defaultMode } from "../../topology/segments.js";
import { isIpv6 } from "../../net/cidr.js";
import type { NetworkSpec } from "../../labfile/model.js";
import type { TopoInterface } from "../../topology/topology.js";
import { imageFor, registryPath, type HostContext } from "../host-context.js";
import { labelArgs, labIdOf, ownedBy } from "../labels.js";
import { sh } from "../shell.js";
import type { Step } from "../types.js";
import { RELOAD_DOCKER } from "../undo.js";

const DAEMON_JSON = "/etc/docker/daemon.json";
// SIGHUP makes dockerd re-read insecure-registries; a restart would kill running containers.
const running = (name: string) =>
  `[ "$(docker container inspect -f '{{.State.Running}}' ${sh(name)} 2>/dev/null)" = true ]`;

/**
 * Start the lab's container, or run it. A `docker run` that created the container but could not
 * start it (a port taken, an address in use) leaves it behind: the lab's own stopped container
 * is removed before running again, so a re-run shows the real error instead of "name in use".
 */
function startOrRun(name: string, labId: string, run: string): string {
  return `docker start ${sh(name)} 2>/dev/null || { if ${ownedBy("container", name, labId)}; then docker rm -f ${sh(name)} >/dev/null; fi; ${run}; }`;
}

/** insecure-registries in daemon.json on every Docker host, applied with a reload. */
export function daemonSteps({ lab, runsDocker, options }: HostContext): Step[] {
  if (!lab.registry || !runsDocker) return [];
  const endpoint = lab.registry.endpoint;
  const check = `docker info --format '{{json .RegistryConfig.IndexConfigs}}' | grep -qF ${sh(`"${endpoint}"`)}`;
  // dockerd re-reads the file asynchronously after SIGHUP: wait for it to show.
  const waitApplied = `i=0; until ${check}; do i=$((i+1)); [ $i -ge 20 ] && break; sleep 0.25; done; ${check}`;
  const applied = options.allowDockerRestart
    ? `{ ${waitApplied}; } || systemctl restart docker`
    : `${waitApplied} || { echo 'dockerd did not apply insecure-registries on reload; lab up --allow-docker-restart restarts it (its running containers stop)' >&2; exit 1; }`;
  return [
    {
      id: "docker:insecure-registry",
      phase: "daemon",
      title: `trust the lab registry ${endpoint} over plain HTTP`,
      check,
      docker: { kind: "insecure-registry", endpoint },
      actions: [
        { kind: "merge-json", path: DAEMON_JSON, merge: { "insecure-registries": [endpoint] } },
        { kind: "run", command: RELOAD_DOCKER },
        { kind: "run", command: applied },
      ],
      undo: [{ kind: "remove-insecure-registry", endpoint }],
      note: "merged into daemon.json keeping every other key; a reload (SIGHUP) applies it without stopping containers",
    },
  ];
}

/** The docker network create command; identical on every host. */
export function networkCreateCommand(network: NetworkSpec, labels: string[]): string {
  const words = ["docker", "network", "create", ...labels, "-d", network.driver];
  if (network.subnets.some((s) => isIpv6(s.subnet))) words.push("--ipv6");
  for (const s of network.subnets) {
    words.push("--subnet", s.subnet);
    if (s.gateway) words.push("--gateway", s.gateway);
    if (s.ipRange) words.push("--ip-range", s.ipRange);
    for (const [name, ip] of Object.entries(s.auxAddresses)) words.push("--aux-address", `${name}=${ip}`);
  }
  words.push("-o", `parent=${network.parent}`);
  if (network.mode && network.mode !== defaultMode(network.driver))
    words.push("-o", `${network.driver}_mode=${network.mode}`);
  if (network.internal) words.push("--internal");
  words.push(network.name);
  return sh(...words);
}

export function networkSteps(ctx: HostContext): Step[] {
  const { lab, host, topology } = ctx;
  const steps: Step[] = [];
  const trunks = topology.interfaces.filter((i) => i.host === host.name && i.kind === "trunk").map((i) => i.name);
  for (const resolved of topology.networks.filter((n) => n.host === host.name)) {
    const network = lab.networks.find((n) => n.name === resolved.name)!;
    const defaultModeUsed = resolved.mode === defaultMode(resolved.driver);
    steps.push({
      id: `network:${network.name}`,
      phase: "networks",
      title: `Docker ${network.driver} network ${network.name} on ${network.parent}`,
      check: `docker network inspect ${sh(network.name)} >/dev/null 2>&1`,
      docker: { kind: "network", name: network.name },
      conflict: {
        what: `Docker network ${network.name}`,
        expect: {
          driver: network.driver,
          parent: network.parent,
          ...(defaultModeUsed ? {} : { mode: resolved.mode }),
          internal: String(network.internal),
          subnets: network.subnets.map((s) => s.subnet),
          gateways: network.subnets.flatMap((s) => (s.gateway ? [s.gateway] : [])),
        },
      },
      actions: [{ kind: "run", command: networkCreateCommand(network, labelArgs(lab)) }],
      undo: [{ kind: "remove-labelled", object: "network", name: network.name, id: labIdOf(lab) }],
      note: trunks.includes(network.parent)
        ? `trunk mode: Docker creates the 802.1q sub-interface ${network.parent} itself and removes it with the network`
        : defaultModeUsed
          ? `mode ${resolved.mode} (Docker's default); created the same on every host`
          : undefined,
    });
  }
  for (const shim of topology.interfaces.filter((i) => i.host === host.name && i.kind === "shim"))
    steps.push(...shimSteps(shim));
  return steps;
}

/** A host macvlan interface on the network's parent, so the host reaches its own containers. */
function shimSteps(shim: TopoInterface): Step[] {
  const address = shim.addresses[0]!.ip;
  const { route, parent } = shim as TopoInterface & { parent: string };
  const steps: Step[] = [
    {
      id: `shim:${shim.name}`,
      phase: "networks",
      title: `host shim ${shim.name} ${address}/32 on ${parent}`,
      check: `ip -o addr show dev ${sh(shim.name)} 2>/dev/null | grep -qF ${sh(` ${address}/32 `)}`,
      actions: [
        {
          kind: "run",
          command: sh("ip", "link", "add", shim.name, "link", parent, "type", "macvlan", "mode", "bridge"),
        },
        { kind: "run", command: sh("ip", "addr", "add", `${address}/32`, "dev", shim.name) },
        { kind: "run", command: sh("ip", "link", "set", shim.name, "up") },
      ],
      undo: [{ kind: "delete-link", link: shim.name }],
      note: "a macvlan parent never talks to its own children; a sibling macvlan interface on the host does",
    },
  ];
  if (route) {
    steps.push({
      id: `shim:${shim.name}:route`,
      phase: "networks",
      title: `route ${route} through ${shim.name}`,
      check: `ip route show ${sh(route)} | grep -qF ${sh(`dev ${shim.name}`)}`,
      actions: [{ kind: "run", command: sh("ip", "route", "add", route, "dev", shim.name) }],
      undo: [{ kind: "delete-route", route, dev: shim.name }],
    });
  }
  return steps;
}

export function registrySteps({ lab, host }: HostContext): Step[] {
  const registry = lab.registry;
  if (!registry || registry.host !== host.name) return [];
  const name = registry.containerName;
  return [
    {
      id: "registry:run",
      phase: "registry",
      title: `run the private registry ${name} (${registry.image}) on port ${registry.port}`,
      check: running(name),
      docker: { kind: "container-running", name },
      actions: [
        {
          kind: "run",
          command: startOrRun(
            name,
            labIdOf(lab),
            sh(
              "docker",
              "run",
              "-d",
              "--name",
              name,
              ...labelArgs(lab),
              "--restart",
              "always",
              "-p",
              `${registry.port}:5000`,
              registry.image,
            ),
          ),
        },
      ],
      conflict: {
        what: `container ${name}`,
        expect: { image: registry.image },
      },
      // -v: registry:2 keeps its images in an anonymous volume that would otherwise outlive it.
      undo: [{ kind: "remove-labelled", object: "container", name, id: labIdOf(lab) }],
      note: `insecure (plain HTTP) registry reachable at ${registry.endpoint}`,
    },
  ];
}

/** On the registry host: load tarballs, tag and push every seeded image. */
export function seedSteps({ lab, host }: HostContext): Step[] {
  const registry = lab.registry;
  if (!registry || registry.host !== host.name) return [];
  return registry.images.map((image) => {
    const target = `${registry.endpoint}/${registryPath(image.ref)}`;
    return {
      id: `seed:${image.ref}`,
      phase: "seed",
      title: `push ${image.ref} to the lab registry as ${target}`,
      // Shown to students: the registry's own answer for the tag (the probe asks the same
      // through dockerd's API, so no curl or wget is needed on the host).
      check: `${sh("docker", "manifest", "inspect", "--insecure", target)} >/dev/null 2>&1`,
      docker: { kind: "registry-tag", ref: target },
      actions: [
        // Copied into a new mktemp -d directory, loaded, and removed with it: no fixed path on the host.
        ...(image.tarball
          ? [{ kind: "upload" as const, from: image.tarball, to: 'docker load -i "$upload"' }]
          : [
              {
                kind: "run" as const,
                command: `${sh("docker", "image", "inspect", image.ref)} >/dev/null 2>&1 || ${sh("docker", "pull", image.ref)}`,
              },
            ]),
        { kind: "run", command: sh("docker", "tag", image.ref, target) },
        // The registry may still be starting: retry the push for a while before giving up.
        {
          kind: "run",
          command: `i=0; until ${sh("docker", "push", target)}; do i=$((i+1)); if [ $i -ge 20 ]; then ${sh("echo", `the lab registry at ${registry.endpoint} does not take the push`)} >&2; exit 1; fi; sleep 1; done`,
        },
      ],
      undo: [{ kind: "remove-image", ref: target }],
      note: image.tarball
        ? `loaded from ${image.tarball} (docker save format); "$upload" is its copy in a new mktemp -d directory on the host, removed afterwards`
        : `from ${host.name}'s local image store (pulled first if it is not there)`,
    };
  });
}

/** On every other Docker host: pull the seeded images from the lab registry. */
export function distributeSteps({ lab, host, runsDocker }: HostContext): Step[] {
  const registry = lab.registry;
  if (!registry || registry.host === host.name || !runsDocker) return [];
  return registry.images.map((image) => {
    const target = `${registry.endpoint}/${registryPath(image.ref)}`;
    return {
      id: `pull:${image.ref}`,
      phase: "distribute",
      title: `pull ${target} from the lab registry`,
      check: `docker image inspect ${sh(target)} >/dev/null 2>&1`,
      docker: { kind: "image", ref: target },
      actions: [{ kind: "run", command: sh("docker", "pull", target) }],
      undo: [{ kind: "remove-image", ref: target }],
    };
  });
}

export function containerSteps({ lab, host }: HostContext): Step[] {
  return lab.containers
    .filter((c) => c.host === host.name)
    .map((c) => {
      const image = imageFor(lab, c.image);
      // busybox's default command is sh, which exits at once without a terminal: keep one open.
      const words = [
        "docker",
        "run",
        c.command === undefined ? "-dit" : "-d",
        "--name",
        c.name,
        ...labelArgs(lab),
        "--network",
        c.network,
      ];
      if (c.ip) words.push("--ip", c.ip);
      if (c.ipv6) words.push("--ip6", c.ipv6);
      words.push(image);
      if (Array.isArray(c.command)) words.push(...c.command);
      else if (c.command !== undefined) words.push("sh", "-c", c.command);
      const addresses = [c.ip, c.ipv6].filter(Boolean).join(", ");
      return {
        id: `container:${c.name}`,
        phase: "containers" as const,
        title: `run ${c.name} on ${c.network}${addresses ? ` with ${addresses}` : ""}`,
        check: running(c.name),
        docker: { kind: "container-running" as const, name: c.name },
        conflict: {
          what: `container ${c.name}`,
          expect: { image, networks: [c.network], ips: [c.ip, c.ipv6].filter((x): x is string => !!x) },
        },
        actions: [{ kind: "run" as const, command: startOrRun(c.name, labIdOf(lab), sh(...words)) }],
        undo: [{ kind: "remove-labelled" as const, object: "container" as const, name: c.name, id: labIdOf(lab) }],
      };
    });
}
