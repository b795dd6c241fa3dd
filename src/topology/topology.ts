import type { HostSpec, Lab } from "../labfile/model.js";
import { cidrContains, familyOf, parseCidr, parseIp, type Family } from "../net/cidr.js";
import { defaultMode, resolveParent, vlanSegment, type LinkDriver, type Segment } from "./segments.js";

/**
 * The lab resolved once: every host, every interface with its parent, segment, driver and mode
 * (defaults applied here and nowhere else), typed addresses, and every endpoint that can ping
 * or be pinged (containers, namespaces, hosts) with what it is attached to. The plan's
 * expectations, the graph and status read this; nothing else derives parents, segments or
 * modes (src/topology/segments.ts holds the rules, shared with validation).
 */
export interface TopoAddress {
  ip: string;
  family: Family;
  /**
   * The subnet the address is on, as a prefix ("172.16.10.0/24", or "10.0.0.1/24" as an
   * interface address was written); undefined for a host's LAN address, whose prefix the lab
   * does not give.
   */
  subnet?: string;
}

export type InterfaceKind = "nic" | "vlan" | "trunk" | "shim" | "child";

export interface TopoInterface {
  /** The host the interface lives on (in the host itself, or in one of its namespaces or containers). */
  host: string;
  name: string;
  kind: InterfaceKind;
  /** The host interface a VLAN, shim or child hangs off. */
  parent?: string;
  segment: Segment;
  /** Children and shims: the driver and its mode, defaults applied. */
  driver?: LinkDriver;
  mode?: string;
  addresses: TopoAddress[];
  /** The Docker network a container's interface or a shim belongs to. */
  network?: string;
  /** A shim's route: the prefix the host sends through it. */
  route?: string;
}

/**
 * How an endpoint leaves its own subnets: through a gateway address, or (ipvlan l3) straight
 * out of its device, the parent routing for it.
 */
export type DefaultRoute = { via: string } | { dev: string };

export interface TopoEndpoint {
  name: string;
  kind: "container" | "namespace" | "host";
  host: string;
  interfaces: TopoInterface[];
  /** Per family: where packets for addresses outside its subnets go. */
  defaultRoute: Partial<Record<Family, DefaultRoute>>;
  /** A namespace with `forward: true`: a router between its interfaces' subnets. */
  forwards: boolean;
}

/** A Docker network as created on one host: its parent there, driver and mode (defaults applied). */
export interface TopoNetwork {
  name: string;
  host: string;
  parent: string;
  segment: Segment;
  driver: "macvlan" | "ipvlan";
  mode: string;
  subnets: string[];
}

export interface Topology {
  interfaces: TopoInterface[];
  networks: TopoNetwork[];
  endpoints: TopoEndpoint[];
}

const typed = (ip: string, subnet?: string): TopoAddress => ({ ip, family: familyOf(ip), subnet });

/** "10.0.0.1/24": the address, on the subnet the prefix gives (kept as written; compare with parseCidr). */
const interfaceAddress = (text: string): TopoAddress => typed(text.split("/")[0]!, text);

/** The subnet of `network` holding `ip`, if any. */
function subnetHolding(subnets: { subnet: string }[], ip: string): string | undefined {
  const parsed = parseIp(ip);
  return parsed && subnets.find((s) => cidrContains(parseCidr(s.subnet)!, parsed))?.subnet;
}

export function resolveTopology(lab: Lab): Topology {
  const hostByName = new Map(lab.hosts.map((h) => [h.name, h]));
  const parentOf = (host: HostSpec, parent: string) =>
    resolveParent(parent, host.nic, (id) => lab.vlans.some((v) => v.id === id && v.hosts.includes(host.name)));
  const segmentOf = (host: HostSpec, parent: string): Segment => {
    const resolved = parentOf(host, parent);
    return resolved.kind === "unknown" ? "lan" : resolved.segment;
  };
  const interfaces: TopoInterface[] = [];
  const endpoints: TopoEndpoint[] = [];
  const networks: TopoNetwork[] = lab.networks.flatMap((n) =>
    n.hosts.map((host) => ({
      name: n.name,
      host,
      parent: n.parent,
      segment: segmentOf(hostByName.get(host)!, n.parent),
      driver: n.driver,
      mode: n.mode ?? defaultMode(n.driver),
      subnets: n.subnets.map((s) => s.subnet),
    })),
  );

  for (const host of lab.hosts) {
    const own: TopoInterface[] = [
      { host: host.name, name: host.nic, kind: "nic", segment: "lan", addresses: [typed(host.address)] },
    ];
    for (const vlan of lab.vlans.filter((v) => v.hosts.includes(host.name))) {
      own.push({
        host: host.name,
        name: `${host.nic}.${vlan.id}`,
        kind: "vlan",
        parent: host.nic,
        segment: vlanSegment(vlan.id),
        addresses: (vlan.addresses[host.name] ?? []).map(interfaceAddress),
      });
    }
    // Parents Docker makes itself (trunk mode): NIC.ID used by a network and not a lab VLAN.
    for (const network of lab.networks.filter((n) => n.hosts.includes(host.name))) {
      const parent = parentOf(host, network.parent);
      if (parent.kind === "trunk" && !own.some((i) => i.name === network.parent))
        own.push({
          host: host.name,
          name: network.parent,
          kind: "trunk",
          parent: host.nic,
          segment: parent.segment,
          addresses: [],
        });
    }
    if (host.shim) {
      const network = lab.networks.find((n) => n.name === host.shim!.network)!;
      own.push({
        host: host.name,
        name: host.shim.name,
        kind: "shim",
        parent: network.parent,
        segment: segmentOf(host, network.parent),
        driver: "macvlan",
        mode: "bridge",
        addresses: [typed(host.shim.address, `${host.shim.address}/32`)],
        network: network.name,
        route: host.shim.route ?? network.subnets.find((s) => familyOf(s.subnet) === 4)?.subnet,
      });
    }
    interfaces.push(...own);
    endpoints.push({
      name: host.name,
      kind: "host",
      host: host.name,
      interfaces: own,
      defaultRoute: {},
      forwards: false,
    });
  }

  for (const c of lab.containers) {
    const host = hostByName.get(c.host)!;
    const network = lab.networks.find((n) => n.name === c.network)!;
    const addresses = [c.ip, c.ipv6]
      .filter((ip): ip is string => !!ip)
      .map((ip) => typed(ip, subnetHolding(network.subnets, ip)));
    const mode = networks.find((n) => n.name === network.name && n.host === c.host)!.mode;
    const iface: TopoInterface = {
      host: c.host,
      name: `${c.name}:eth0`,
      kind: "child",
      parent: network.parent,
      segment: segmentOf(host, network.parent),
      driver: network.driver,
      mode,
      addresses,
      network: network.name,
    };
    const defaultRoute: TopoEndpoint["defaultRoute"] = {};
    for (const family of [4, 6] as const) {
      // Docker gives ipvlan l3 containers "default dev eth0", others the subnet's gateway.
      const subnet = network.subnets.find((s) => familyOf(s.subnet) === family);
      if (!subnet || !addresses.some((a) => a.family === family)) continue;
      if (network.driver === "ipvlan" && mode.startsWith("l3")) defaultRoute[family] = { dev: iface.name };
      else if (subnet.gateway) defaultRoute[family] = { via: subnet.gateway };
    }
    interfaces.push(iface);
    endpoints.push({
      name: c.name,
      kind: "container",
      host: c.host,
      interfaces: [iface],
      defaultRoute,
      forwards: false,
    });
  }

  for (const ns of lab.namespaces) {
    const host = hostByName.get(ns.host)!;
    const own = ns.interfaces.map((i): TopoInterface => ({
      host: ns.host,
      name: `${ns.name}:${i.name}`,
      kind: "child",
      parent: i.parent,
      segment: segmentOf(host, i.parent),
      driver: i.kind,
      mode: i.mode ?? defaultMode(i.kind),
      addresses: i.addresses.map(interfaceAddress),
    }));
    const defaultRoute: TopoEndpoint["defaultRoute"] = {};
    if (ns.gateway) defaultRoute[familyOf(ns.gateway)] = { via: ns.gateway };
    if (ns.defaultDev) defaultRoute[4] = { dev: `${ns.name}:${ns.defaultDev}` };
    interfaces.push(...own);
    endpoints.push({
      name: ns.name,
      kind: "namespace",
      host: ns.host,
      interfaces: own,
      defaultRoute,
      forwards: ns.forward,
    });
  }
  return { interfaces, networks, endpoints };
}
