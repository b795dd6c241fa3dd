import { cidrContains, parseCidr, parseIp } from "../net/cidr.js";
import { defaultMode, type Lab } from "../labfile/model.js";
import { sh } from "../plan/shell.js";
import type { Probe } from "../plan/types.js";

/** Something that can ping and be pinged: a container or a namespace. */
interface Endpoint {
  name: string;
  kind: "container" | "namespace";
  host: string;
  /** Attachments: one per network (containers) or interface (namespaces). */
  links: { segment: string; net: string; driver: string; mode: string; parent: string; addresses: string[] }[];
}

function endpoints(lab: Lab): Endpoint[] {
  const segmentOf = (host: string, parent: string): string => {
    const nic = lab.hosts.find((h) => h.name === host)?.nic;
    const m = /^(.+)\.(\d+)$/.exec(parent);
    return m && m[1] === nic ? `vlan ${m[2]}` : "lan";
  };
  const containers: Endpoint[] = lab.containers.map((c) => {
    const network = lab.networks.find((n) => n.name === c.network)!;
    const addresses = network.subnets.flatMap((s) =>
      [c.ip, c.ipv6]
        .filter((ip): ip is string => !!ip && cidrContains(parseCidr(s.subnet)!, parseIp(ip)!))
        .map((ip) => `${ip}/${s.subnet.split("/")[1]}`),
    );
    return {
      name: c.name,
      kind: "container",
      host: c.host,
      links: [
        {
          segment: segmentOf(c.host, network.parent),
          net: network.name,
          driver: network.driver,
          mode: network.mode ?? defaultMode(network.driver),
          parent: network.parent,
          addresses,
        },
      ],
    };
  });
  const namespaces: Endpoint[] = lab.namespaces.map((ns) => ({
    name: ns.name,
    kind: "namespace",
    host: ns.host,
    links: ns.interfaces.map((i) => ({
      segment: segmentOf(ns.host, i.parent),
      net: `${segmentOf(ns.host, i.parent)}`,
      driver: i.kind === "ipvlan" ? "ipvlan" : "macvlan",
      mode: i.mode ?? defaultMode(i.kind),
      parent: i.parent,
      addresses: i.addresses,
    })),
  }));
  return [...containers, ...namespaces];
}

/** Is `to` reachable from `from` at layer 2, and why. */
function expectation(
  lab: Lab,
  from: Endpoint,
  to: Endpoint,
  address: string,
): { expect: Probe["expect"]; reason: string } {
  const target = parseIp(address)!;
  for (const a of from.links) {
    const b = to.links.find((l) => l.segment === a.segment && l.addresses.some((x) => x.split("/")[0] === address));
    if (!b) continue;
    const sameSubnet = a.addresses.some((x) => cidrContains(parseCidr(x)!, target));
    if (!sameSubnet) continue;
    if (from.kind === "container" && to.kind === "container" && a.net !== b.net) continue;
    const where = a.segment === "lan" ? "the lab LAN" : a.segment.replace("vlan", "VLAN");
    const sameParent = from.host === to.host && a.parent === b.parent;
    if (sameParent && a.driver === "macvlan" && (a.mode === "private" || b.mode === "private")) {
      return {
        expect: "unreachable",
        reason: `private mode: children of ${a.parent} on ${from.host} never talk to each other`,
      };
    }
    if (sameParent && a.driver === "macvlan" && (a.mode === "vepa" || b.mode === "vepa")) {
      return { expect: "unreachable", reason: `vepa mode: the switch must hairpin traffic back to ${from.host}` };
    }
    if (!sameParent && a.driver === "ipvlan" && (a.mode.startsWith("l3") || b.mode.startsWith("l3"))) {
      return { expect: "unreachable", reason: `ipvlan ${a.mode}: the LAN has no route to the other host's children` };
    }
    return {
      expect: "reachable",
      reason: from.kind === "container" ? `same network ${a.net} on ${where}` : `same segment (${where}) and subnet`,
    };
  }
  if (from.kind === "container" && to.kind === "container") {
    const [x, y] = [from.links[0]!.net, to.links[0]!.net];
    if (lab.checks.routed.some(([p, q]) => (p === x && q === y) || (p === y && q === x))) {
      return { expect: "reachable", reason: `${x} and ${y} are joined by a router` };
    }
    return { expect: "unreachable", reason: `different networks (${x}, ${y}) and no router between them` };
  }
  const sameSubnetElsewhere = from.links.find((a) => a.addresses.some((x) => cidrContains(parseCidr(x)!, target)));
  if (sameSubnetElsewhere) {
    const theirs =
      to.links.find((l) => l.addresses.some((x) => x.split("/")[0] === address))?.segment ?? "another segment";
    const name = (segment: string) => (segment === "lan" ? "the lab LAN" : segment.replace("vlan", "VLAN"));
    return {
      expect: "unreachable",
      reason: `same subnet, but ${name(sameSubnetElsewhere.segment)} and ${name(theirs)} share no layer-2 path`,
    };
  }
  return { expect: "unreachable", reason: "no shared segment and subnet" };
}

export function pingCommand(lab: Lab, from: Endpoint | { name: string; kind: string }, address: string): string {
  const ping = [
    "ping",
    ...(address.includes(":") ? ["-6"] : []),
    "-c",
    String(lab.checks.count),
    "-W",
    String(lab.checks.timeout),
    address,
  ];
  return from.kind === "container"
    ? sh("docker", "exec", from.name, ...ping)
    : sh("ip", "netns", "exec", from.name, ...ping);
}

/**
 * Every probe the lab's checks imply: the matrix (if on) plus explicit checks, which win.
 * The matrix pings each family both ends have: IPv4, and IPv6 too on dual-stack networks
 * (an IPv6 probe's key ends in "/6"); a target with IPv6 only is pinged over IPv6.
 */
export function expectedProbes(lab: Lab): Probe[] {
  const all = endpoints(lab);
  const byName = new Map(all.map((e) => [e.name, e]));
  const probes = new Map<string, Probe>();
  const addressOf = (e: Endpoint, ipv6: boolean) =>
    e.links
      .flatMap((l) => l.addresses)
      .map((a) => a.split("/")[0]!)
      .find((a) => a.includes(":") === ipv6);

  if (lab.checks.matrix) {
    for (const from of all) {
      for (const to of all) {
        if (from === to || from.kind !== to.kind) continue;
        const v4 = addressOf(to, false);
        const v6 = addressOf(to, true);
        const addresses = [v4, v6 && (!v4 || addressOf(from, true)) ? v6 : undefined].filter((a): a is string => !!a);
        for (const address of addresses) {
          const { expect, reason } = expectation(lab, from, to, address);
          probes.set(probeKey(from.name, to.name, address), {
            from: from.name,
            to: to.name,
            toHost: to.host,
            address,
            expect,
            reason,
            command: pingCommand(lab, from, address),
            explicit: false,
          });
        }
      }
    }
  }
  for (const check of lab.checks.explicit) {
    const from = byName.get(check.from)!;
    const to = byName.get(check.to)!;
    const address = addressOf(to, check.ipv6)!;
    const implied = expectation(lab, from, to, address);
    const reason =
      implied.expect === check.expect
        ? implied.reason
        : `declared in checks.explicit (the topology suggests ${implied.expect}: ${implied.reason})`;
    probes.set(probeKey(from.name, to.name, address), {
      from: from.name,
      to: to.name,
      toHost: to.host,
      address,
      expect: check.expect,
      reason,
      command: pingCommand(lab, from, address),
      explicit: true,
    });
  }
  return [...probes.values()];
}

const probeKey = (from: string, to: string, address: string) => `${from}>${to}${address.includes(":") ? "/6" : ""}`;

/** The host each probe's source lives on. */
export function hostOfEndpoint(lab: Lab, name: string): string | undefined {
  return lab.containers.find((c) => c.name === name)?.host ?? lab.namespaces.find((n) => n.name === name)?.host;
}
