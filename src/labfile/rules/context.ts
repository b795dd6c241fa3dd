import { resolveParent, type ParentKind } from "../../topology/segments.js";
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

  /** What a parent interface name means on a host (src/topology/segments.ts decides). */
  resolveParent(host: string, parent: string): ParentKind {
    return resolveParent(parent, this.nicOf(host), (id) => this.vlanHosts(String(id)).includes(host));
  }
}
