import { isIpv6 } from "../../net/cidr.js";
import { canonicalAddress } from "../persist.js";
import { sh } from "../shell.js";
import type { HostContext } from "../host-context.js";
import type { Step } from "../types.js";

/** Plain network namespaces with macvlan/macvtap/ipvlan children of a parent NIC. */
export function namespaceSteps({ lab, host, topology }: HostContext): Step[] {
  const steps: Step[] = [];
  for (const ns of lab.namespaces.filter((n) => n.host === host.name)) {
    steps.push({
      id: `netns:${ns.name}`,
      phase: "namespaces",
      title: `create network namespace ${ns.name}`,
      check: `[ -e ${sh(`/run/netns/${ns.name}`)} ]`,
      actions: [
        { kind: "run", command: sh("ip", "netns", "add", ns.name) },
        { kind: "run", command: sh("ip", "-n", ns.name, "link", "set", "lo", "up") },
      ],
      undo: [{ kind: "delete-netns", netns: ns.name }],
    });
    for (const iface of ns.interfaces) {
      const mode = topology.interfaces.find(
        (i) => i.host === host.name && i.name === `${ns.name}:${iface.name}`,
      )!.mode!;
      steps.push({
        id: `netns:${ns.name}:link:${iface.name}`,
        phase: "namespaces",
        title: `${iface.kind} ${iface.name} (mode ${mode}) on ${iface.parent}, inside ${ns.name}`,
        check: `ip -n ${sh(ns.name)} link show dev ${sh(iface.name)} >/dev/null 2>&1`,
        // Created directly inside the namespace, so a same-named interface on the host never collides.
        actions: [
          {
            kind: "run",
            command: sh(
              "ip",
              "link",
              "add",
              "link",
              iface.parent,
              "name",
              iface.name,
              "netns",
              ns.name,
              "type",
              iface.kind,
              "mode",
              mode,
            ),
          },
        ],
        undo: [{ kind: "delete-link", link: iface.name, netns: ns.name }],
        note: modeNote(iface.kind, mode),
      });
      for (const address of iface.addresses.map(canonicalAddress)) {
        steps.push({
          id: `netns:${ns.name}:address:${iface.name}:${address}`,
          phase: "namespaces",
          title: `address ${address} on ${iface.name} in ${ns.name}`,
          check: `ip -n ${sh(ns.name)} -o addr show dev ${sh(iface.name)} | grep -qF ${sh(` ${address} `)}`,
          actions: [{ kind: "run", command: sh("ip", "-n", ns.name, "addr", "add", address, "dev", iface.name) }],
          undo: [{ kind: "delete-address", address, dev: iface.name, netns: ns.name }],
        });
      }
      steps.push({
        id: `netns:${ns.name}:up:${iface.name}`,
        phase: "namespaces",
        title: `bring ${iface.name} up in ${ns.name}`,
        check: `ip -n ${sh(ns.name)} -o link show dev ${sh(iface.name)} | grep -q '[<,]UP[,>]'`,
        actions: [{ kind: "run", command: sh("ip", "-n", ns.name, "link", "set", "dev", iface.name, "up") }],
        undo: [{ kind: "link-down", dev: iface.name, netns: ns.name }],
      });
    }
    if (ns.forward) {
      // The namespace's own sysctl: deleting the namespace (its undo) takes it away too.
      const families = ns.interfaces.some((i) => i.addresses.some(isIpv6)) ? ["ipv4", "ipv6"] : ["ipv4"];
      const keys = families.map((f) => (f === "ipv4" ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding"));
      steps.push({
        id: `netns:${ns.name}:forward`,
        phase: "namespaces",
        title: `${ns.name} forwards between its interfaces (a router)`,
        check: keys.map((k) => `[ "$(ip netns exec ${sh(ns.name)} sysctl -n ${k})" = 1 ]`).join(" && "),
        actions: keys.map((k) => ({
          kind: "run" as const,
          command: sh("ip", "netns", "exec", ns.name, "sysctl", "-qw", `${k}=1`),
        })),
        undo: [],
        note: "forwarding is set inside the namespace only; the host's own stays as it is",
      });
    }
    if (ns.defaultDev) {
      steps.push({
        id: `netns:${ns.name}:route`,
        phase: "namespaces",
        title: `default route out of ${ns.defaultDev} in ${ns.name}`,
        check: `ip -n ${sh(ns.name)} route show default | grep -qF ${sh(`dev ${ns.defaultDev}`)}`,
        actions: [{ kind: "run", command: sh("ip", "-n", ns.name, "route", "add", "default", "dev", ns.defaultDev) }],
        undo: [{ kind: "delete-route", route: "default", dev: ns.defaultDev, netns: ns.name }],
        note: "no next hop: the packets leave through the interface, and its ipvlan l3 parent routes them",
      });
    }
    if (ns.gateway) {
      steps.push({
        id: `netns:${ns.name}:route`,
        phase: "namespaces",
        title: `default route via ${ns.gateway} in ${ns.name}`,
        check: `ip -n ${sh(ns.name)} route show default | grep -qF ${sh(`via ${ns.gateway} `)}`,
        actions: [{ kind: "run", command: sh("ip", "-n", ns.name, "route", "add", "default", "via", ns.gateway) }],
        undo: [{ kind: "delete-route", route: "default", via: ns.gateway, netns: ns.name }],
      });
    }
  }
  return steps;
}

function modeNote(kind: string, mode: string): string | undefined {
  const notes: Record<string, string> = {
    bridge: "bridge: children of one parent talk to each other inside the host",
    private: "private: children of one parent never talk to each other, even through the switch",
    vepa: "vepa: traffic between children goes out to the switch, which must send it back (hairpin)",
    passthru: "passthru: a single child takes over the parent",
    l2: "ipvlan l2: children share the parent's MAC address; the switch sees one MAC",
    l3: "ipvlan l3: the parent routes for its children; no broadcast, no ARP between hosts",
    l3s: "ipvlan l3s: like l3, with netfilter connection tracking",
  };
  return kind === "macvtap" ? `macvtap: a tap device for a VM on top of macvlan (${notes[mode] ?? mode})` : notes[mode];
}
