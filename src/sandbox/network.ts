import { isIpv6 } from "../net/cidr.js";
import type { HostSpec, Lab } from "../labfile/model.js";
import { mustRun, runLocal } from "./local.js";
import { writeSandboxState, type SandboxState } from "./state.js";
import { killNetnsProcesses } from "./processes.js";

/**
 * The sandbox's wiring: one "switch" namespace with a LAN bridge, and per host a network
 * namespace whose lab NIC is a veth with its other end on that bridge. Nothing is ever added
 * to this machine's own network namespace.
 */

const bridgeArgs = ["type", "bridge", "stp_state", "0", "forward_delay", "0"];

export async function createSwitch(netns: string): Promise<void> {
  await mustRun("ip", ["netns", "add", netns]);
  await mustRun("ip", ["-n", netns, "link", "set", "lo", "up"]);
  await mustRun("ip", ["-n", netns, "link", "add", "lan", ...bridgeArgs]);
  await mustRun("ip", ["-n", netns, "link", "set", "lan", "up"]);
}

/** A host's namespace, with its lab NIC (address and all) plugged into switch port p<index>. */
export async function createHostNetwork(
  host: HostSpec,
  netns: string,
  switchNetns: string,
  index: number,
): Promise<void> {
  await mustRun("ip", ["netns", "add", netns]);
  await mustRun("ip", ["-n", netns, "link", "set", "lo", "up"]);
  const port = `p${index + 1}`;
  await mustRun("ip", [
    "link",
    "add",
    host.nic,
    "netns",
    netns,
    "type",
    "veth",
    "peer",
    "name",
    port,
    "netns",
    switchNetns,
  ]);
  await mustRun("ip", ["-n", switchNetns, "link", "set", port, "master", "lan", "up"]);
  const prefix = isIpv6(host.address) ? 64 : 24;
  await mustRun("ip", ["-n", netns, "addr", "add", `${host.address}/${prefix}`, "dev", host.nic]);
  await mustRun("ip", ["-n", netns, "link", "set", host.nic, "up"]);
}

async function netnsList(): Promise<string[]> {
  const r = await runLocal("ip", ["netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);
}

/**
 * Delete these namespaces (the exact names of sandboxObjectNames) where they exist, after
 * killing what runs in them. Exact names: another lab's may share any prefix with them.
 */
export async function removeNamespaces(names: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  const wanted = new Set(names);
  for (const ns of await netnsList()) {
    if (!wanted.has(ns)) continue;
    await killNetnsProcesses(ns);
    await runLocal("ip", ["netns", "del", ns]);
    removed.push(`netns ${ns}`);
  }
  return removed;
}

/**
 * --vlan-standin, for kernels without 802.1q: per host and lab VLAN, a veth already named
 * <nic>.<id> whose other end is a port of a switch bridge of that VLAN alone. Separate
 * layer-2 domains like real VLANs, but no tagging: tests must not claim they proved it.
 */
export async function ensureStandins(lab: Lab, state: SandboxState, log: (line: string) => void): Promise<void> {
  const made: string[] = [];
  state.standins ??= {};
  for (const vlan of lab.vlans) {
    const bridge = `vlan${vlan.id}`;
    if ((await runLocal("ip", ["-n", state.switchNetns, "link", "show", bridge])).code !== 0) {
      await mustRun("ip", ["-n", state.switchNetns, "link", "add", bridge, ...bridgeArgs]);
      await mustRun("ip", ["-n", state.switchNetns, "link", "set", bridge, "up"]);
    }
    for (const [i, host] of state.hosts.entries()) {
      if (!vlan.hosts.includes(host.name)) continue;
      const nic = lab.hosts.find((h) => h.name === host.name)!.nic;
      const device = `${nic}.${vlan.id}`;
      if ((await runLocal("ip", ["-n", host.netns, "link", "show", device])).code !== 0) {
        const port = `v${vlan.id}p${i + 1}`;
        await mustRun("ip", [
          ...["link", "add", device, "netns", host.netns],
          ...["type", "veth", "peer", "name", port, "netns", state.switchNetns],
        ]);
        await mustRun("ip", ["-n", state.switchNetns, "link", "set", port, "master", bridge, "up"]);
        await mustRun("ip", ["-n", host.netns, "link", "set", device, "up"]);
        made.push(`${host.name}:${device}`);
      }
      state.standins[host.name] = [...new Set([...(state.standins[host.name] ?? []), vlan.id])];
    }
  }
  await writeSandboxState(state);
  if (made.length > 0) log(`sandbox: VLAN stand-ins ${made.join(", ")} (separate switch bridges, no 802.1q tagging)`);
}
