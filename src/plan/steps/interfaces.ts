import { canonicalAddress, debianFile, ifcfgFile } from "../persist.js";
import { sh } from "../shell.js";
import type { HostContext } from "../host-context.js";
import type { Step } from "../types.js";

/** VLAN sub-interfaces (persistence file + runtime link, addresses, up) and promiscuous mode. */
export function interfaceSteps({ lab, host, persist, facts }: HostContext): Step[] {
  const steps: Step[] = [];
  for (const vlan of lab.vlans.filter((v) => v.hosts.includes(host.name))) {
    const device = `${host.nic}.${vlan.id}`;
    const addresses = (vlan.addresses[host.name] ?? []).map(canonicalAddress);
    const file =
      persist === "ifcfg"
        ? ifcfgFile(lab.name, host.nic, vlan, addresses)
        : persist === "debian"
          ? debianFile(lab.name, host.nic, vlan, addresses)
          : undefined;
    if (file) {
      steps.push({
        id: `vlan:${vlan.id}:file`,
        phase: "interfaces",
        title: `write ${file.path}`,
        actions: [{ kind: "write", path: file.path, content: file.content, mode: "0644" }],
        undo: [{ kind: "restore-file", path: file.path }],
        note: file.note,
      });
    }
    if (facts.vlanStandins?.includes(vlan.id)) {
      steps.push({
        id: `vlan:${vlan.id}:link`,
        phase: "interfaces",
        title: `VLAN ${vlan.id}: use the sandbox's stand-in ${device}`,
        check: `ip link show dev ${sh(device)} >/dev/null 2>&1`,
        actions: [],
        undo: [],
        note: "a stand-in, part of the sandbox host: a veth on its own switch bridge, a separate layer-2 domain without 802.1q tagging; lab never removes it",
      });
    } else
      steps.push({
        id: `vlan:${vlan.id}:link`,
        phase: "interfaces",
        title: `create VLAN ${vlan.id} sub-interface ${device}`,
        check: `ip -d link show dev ${sh(device)} 2>/dev/null | grep -q ${sh(`802.1Q id ${vlan.id} `)}`,
        actions: [
          {
            kind: "run",
            command: sh("ip", "link", "add", "link", host.nic, "name", device, "type", "vlan", "id", String(vlan.id)),
          },
        ],
        undo: [{ kind: "delete-link", link: device }],
        note: "runtime path, the same on every distribution; frames leave the NIC tagged with the VLAN id",
      });
    for (const address of addresses) {
      steps.push({
        id: `vlan:${vlan.id}:address:${address}`,
        phase: "interfaces",
        title: `address ${address} on ${device}`,
        check: `ip -o addr show dev ${sh(device)} | grep -qF ${sh(` ${address} `)}`,
        actions: [{ kind: "run", command: sh("ip", "addr", "add", address, "dev", device) }],
        undo: [{ kind: "delete-address", address, dev: device }],
      });
    }
    steps.push({
      id: `vlan:${vlan.id}:up`,
      phase: "interfaces",
      title: `bring ${device} up`,
      check: `ip -o link show dev ${sh(device)} | grep -q '[<,]UP[,>]'`,
      actions: [{ kind: "run", command: sh("ip", "link", "set", "dev", device, "up") }],
      undo: [{ kind: "link-down", dev: device }],
      note: !vlan.gateway
        ? undefined
        : vlan.defaultRoute
          ? `the gateway ${vlan.gateway} becomes the default route only at boot (default_route: true): added now it could cut the SSH session`
          : `the gateway ${vlan.gateway} never becomes the host's default route, at boot or now (default_route: false)`,
    });
  }
  if (host.promisc) {
    steps.push({
      id: `promisc:${host.nic}`,
      phase: "interfaces",
      title: `put ${host.nic} in promiscuous mode`,
      check: `ip -o link show dev ${sh(host.nic)} | grep -q PROMISC`,
      actions: [{ kind: "run", command: sh("ip", "link", "set", host.nic, "promisc", "on") }],
      undo: [{ kind: "promisc-off", dev: host.nic }],
      note: "the NIC must accept frames for the MAC addresses of macvlan children, not only its own",
    });
  }
  return steps;
}
