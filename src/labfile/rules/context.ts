import type { RawLab, RawNetwork } from "../schema.js";

export const DEFAULT_NIC = "ens33";

/**
 * The entry of a lab-file map named by a name from the lab file: own entries only, so a
 * network called "constructor" or "toString" is not found on Object.prototype.
 */
export function own<T>(map: Record<string, T> | undefined, name: string): T | undefined {
  return map !== undefined && Object.hasOwn(map, name) ? map[name] : undefined;
}

/** Facts derived from the raw lab that several rules need. */
export class RuleContext {
  readonly hostNames: string[];
  constructor(readonly lab: RawLab) {
    this.hostNames = Object.keys(lab.hosts);
  }

  nicOf(host: string): string {
    return own(this.lab.hosts, host)?.nic ?? this.lab.defaults?.nic ?? DEFAULT_NIC;
  }

  entries<T>(map: Record<string, T> | undefined): [string, T][] {
    return Object.entries(map ?? {});
  }

  /** Hosts a VLAN sub-interface is made on (existing hosts only). */
  vlanHosts(id: string): string[] {
    const vlan = own(this.lab.vlans, id);
    if (!vlan) return [];
    const listed = vlan.hosts ?? this.hostNames;
    return listed.filter((h) => Object.hasOwn(this.lab.hosts, h));
  }

  /** Hosts a Docker network is created on (existing hosts only). */
  networkHosts(network: RawNetwork): string[] {
    return (network.hosts ?? this.hostNames).filter((h) => Object.hasOwn(this.lab.hosts, h));
  }

  /**
   * What a parent interface name means on a host: the lab NIC, one of the lab's VLAN
   * sub-interfaces, a NIC.ID that Docker itself creates (trunk mode), or unknown.
   */
  resolveParent(host: string, parent: string): ParentKind {
    const nic = this.nicOf(host);
    if (parent === nic) return { kind: "nic", segment: "lan" };
    const m = /^(.+)\.(\d+)$/.exec(parent);
    if (m && m[1] === nic) {
      const id = m[2]!;
      if (own(this.lab.vlans, id) && this.vlanHosts(id).includes(host))
        return { kind: "vlan", id: Number(id), segment: `vlan ${id}` };
      return { kind: "trunk", id: Number(id), segment: `vlan ${id}` };
    }
    return { kind: "unknown" };
  }
}

export type ParentKind =
  | { kind: "nic"; segment: string }
  | { kind: "vlan"; id: number; segment: string }
  | { kind: "trunk"; id: number; segment: string }
  | { kind: "unknown" };
