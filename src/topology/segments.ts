/**
 * The rules every view of a lab shares for what an interface name means, pure over names so
 * that validation (which runs on the lab file before it is resolved) and the resolved
 * topology (src/topology/topology.ts) apply the very same ones:
 * - a parent is the host's lab NIC, one of the lab's VLAN sub-interfaces (NIC.ID), a NIC.ID
 *   Docker makes itself (trunk mode), or unknown;
 * - the NIC sits on the lab LAN, NIC.ID on VLAN ID's segment;
 * - a child without a mode gets the kernel's and Docker's default.
 */

export type LinkDriver = "macvlan" | "macvtap" | "ipvlan";

/** The mode the kernel and Docker use when none is given: ipvlan l2, macvlan/macvtap bridge. */
export function defaultMode(driver: LinkDriver): string {
  return driver === "ipvlan" ? "l2" : "bridge";
}

/** A layer-2 segment: the lab LAN, or one 802.1q VLAN on it. */
export type Segment = "lan" | `vlan ${number}`;

/** The segment of the lab's VLAN `id`. */
export const vlanSegment = (id: number | string): Segment => `vlan ${Number(id)}`;

export type ParentKind =
  | { kind: "nic"; segment: Segment }
  | { kind: "vlan"; id: number; segment: Segment }
  | { kind: "trunk"; id: number; segment: Segment }
  | { kind: "unknown" };

/** What `parent` is on a host whose lab NIC is `nic`; `isLabVlan(id)` says whether the lab makes NIC.ID there. */
export function resolveParent(parent: string, nic: string, isLabVlan: (id: number) => boolean): ParentKind {
  if (parent === nic) return { kind: "nic", segment: "lan" };
  const m = /^(.+)\.(\d+)$/.exec(parent);
  if (m && m[1] === nic) {
    const id = Number(m[2]);
    return { kind: isLabVlan(id) ? "vlan" : "trunk", id, segment: vlanSegment(id) };
  }
  return { kind: "unknown" };
}

/** A segment as a student reads it: "the lab LAN", "VLAN 10". */
export function segmentName(segment: Segment): string {
  return segment === "lan" ? "the lab LAN" : `VLAN ${segment.slice(5)}`;
}
