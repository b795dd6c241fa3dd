import type { Lab } from "../labfile/model.js";
import { vlanSegment } from "../topology/segments.js";
import { resolveTopology } from "../topology/topology.js";

/**
 * The lab as a picture, a rendering of the resolved topology (src/topology/), independent of
 * the drawing language: one cluster per host holding its
 * NIC, VLAN sub-interfaces, Docker networks, containers, namespaces, shim and registry; the
 * NICs meet on one "lab LAN" node. Explicit checks become dotted edges, so the exercise's
 * question ("can bbox10 reach bbox21?") is on the drawing too. Pure: renderers only format it.
 */
export type NodeKind = "lan" | "nic" | "vlan" | "trunk" | "network" | "container" | "namespace" | "shim" | "registry";

export interface GraphNode {
  id: string;
  kind: NodeKind;
  /** First line is the name; the others are details (addresses, driver, mode). */
  lines: string[];
}

export interface GraphCluster {
  id: string;
  label: string;
  nodes: GraphNode[];
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
  style: "solid" | "dotted";
}

export interface Topology {
  title: string;
  lan: GraphNode;
  clusters: GraphCluster[];
  edges: GraphEdge[];
}

/** Identifiers safe in Mermaid and DOT without quoting, unique even when names differ only in "." vs "-". */
function idMaker(): (...parts: string[]) => string {
  const taken = new Map<string, string>();
  const used = new Set<string>();
  return (...parts) => {
    const key = parts.join("/");
    const known = taken.get(key);
    if (known) return known;
    // Every id starts with a host name (validated to start with a letter) or "lan": never a digit, which DOT forbids.
    const base = parts.join("__").replace(/[^A-Za-z0-9_]/g, "_");
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    taken.set(key, id);
    used.add(id);
    return id;
  };
}

export function labTopology(lab: Lab): Topology {
  const resolved = resolveTopology(lab);
  const idOf = idMaker();
  const lan: GraphNode = { id: idOf("lan"), kind: "lan", lines: ["lab LAN"] };
  const edges: GraphEdge[] = [];
  const clusters: GraphCluster[] = [];
  // Where each container or namespace is drawn, for the explicit checks.
  const endpointIds = new Map<string, string>();

  for (const host of lab.hosts) {
    const nodes: GraphNode[] = [];
    const add = (node: GraphNode) => (nodes.push(node), node.id);
    const nicId = add({
      id: idOf(host.name, host.nic),
      kind: "nic",
      lines: [host.nic, host.address, ...(host.promisc ? ["promiscuous"] : [])],
    });
    endpointIds.set(host.name, nicId); // a host pings from its own namespace: its NIC stands for it
    const vlans = lab.vlans.filter((v) => v.hosts.includes(host.name));
    edges.push({
      from: nicId,
      to: lan.id,
      label: vlans.length ? `802.1Q: VLAN ${vlans.map((v) => v.id).join(", ")}` : undefined,
      style: "solid",
    });
    // The host's own interfaces below its NIC, as the topology resolved them: VLANs and the
    // parents Docker makes itself (trunk mode, e.g. ens33.50).
    const parents = new Map<string, string>([[host.nic, nicId]]);
    for (const iface of resolved.interfaces.filter((i) => i.host === host.name)) {
      if (iface.kind !== "vlan" && iface.kind !== "trunk") continue;
      const vlan = lab.vlans.find((v) => vlanSegment(v.id) === iface.segment);
      const id = add({
        id: idOf(host.name, iface.name),
        kind: iface.kind,
        lines:
          iface.kind === "vlan"
            ? [iface.name, `VLAN ${vlan!.id}`, ...iface.addresses.map((a) => a.subnet ?? a.ip)]
            : [iface.name, "made by Docker"],
      });
      edges.push({ from: id, to: nicId, style: "solid" });
      parents.set(iface.name, id);
    }
    const parentOf = (parent: string): string => parents.get(parent)!;

    for (const network of resolved.networks.filter((n) => n.host === host.name)) {
      const id = add({
        id: idOf(host.name, "net", network.name),
        kind: "network",
        lines: [network.name, `${network.driver} ${network.mode}`, ...network.subnets],
      });
      edges.push({ from: id, to: parentOf(network.parent), style: "solid" });
      for (const c of lab.containers.filter((c) => c.host === host.name && c.network === network.name)) {
        const cid = add({
          id: idOf(host.name, "c", c.name),
          kind: "container",
          lines: [c.name, ...[c.ip, c.ipv6].filter((a): a is string => !!a)],
        });
        edges.push({ from: cid, to: id, style: "solid" });
        endpointIds.set(c.name, cid);
      }
    }
    for (const ns of lab.namespaces.filter((n) => n.host === host.name)) {
      const id = add({
        id: idOf(host.name, "ns", ns.name),
        kind: "namespace",
        lines: [ns.name, "namespace", ...ns.interfaces.map((i) => [i.name, ...i.addresses].join(" "))],
      });
      for (const i of resolved.interfaces.filter((x) => x.host === host.name && x.name.startsWith(`${ns.name}:`))) {
        edges.push({
          from: id,
          to: parentOf(i.parent!),
          label: `${i.name.slice(ns.name.length + 1)}: ${i.driver} ${i.mode}`,
          style: "solid",
        });
      }
      endpointIds.set(ns.name, id);
    }
    for (const shim of resolved.interfaces.filter((i) => i.host === host.name && i.kind === "shim")) {
      const id = add({
        id: idOf(host.name, "shim", shim.name),
        kind: "shim",
        lines: [shim.name, `${shim.addresses[0]!.ip}/32`, "host shim"],
      });
      edges.push({ from: id, to: parentOf(shim.parent!), label: "macvlan bridge", style: "solid" });
    }
    if (lab.registry?.host === host.name) {
      const id = add({
        id: idOf(host.name, "registry"),
        kind: "registry",
        lines: ["registry", lab.registry.endpoint, ...lab.registry.images.map((i) => i.ref)],
      });
      edges.push({ from: id, to: nicId, label: "serves images", style: "dotted" });
    }
    clusters.push({ id: idOf("host", host.name), label: `${host.name} (${host.address})`, nodes });
  }

  for (const check of lab.checks.explicit) {
    const from = endpointIds.get(check.from);
    const to = endpointIds.get(check.to);
    if (!from || !to) continue;
    edges.push({ from, to, label: `check: ${check.expect}${check.ipv6 ? " (IPv6)" : ""}`, style: "dotted" });
  }
  return { title: lab.name, lan, clusters, edges };
}
