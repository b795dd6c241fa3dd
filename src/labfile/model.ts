import { isIpv6 } from "../net/cidr.js";
import type { RawLab, RawNetwork } from "./schema.js";
import { DEFAULT_NIC, RuleContext } from "./rules/context.js";

/**
 * The resolved lab: defaults applied, maps turned into ordered lists, every reference
 * known to exist. This is what plan/ and apply/ consume; only validate.ts builds it.
 */
export type OsFamily = "rhel" | "debian";
export type PersistMode = "ifcfg" | "debian" | "none";

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  passphraseEnv?: string;
  agent: boolean;
  passwordEnv?: string;
  jump?: string;
  connectTimeout: number;
}

export interface HostSpec {
  name: string;
  address: string;
  ssh: SshTarget;
  /** false: commands run as the SSH user (root); true: `sudo -n`; passwordEnv: sudo -S fed from that variable. */
  sudo: false | { passwordEnv?: string };
  nic: string;
  os: OsFamily | "auto";
  persist: PersistMode | "auto";
  promisc: boolean;
  modules: string[];
  shim?: { network: string; address: string; name: string; route?: string };
}

export interface VlanSpec {
  id: number;
  hosts: string[];
  addresses: Record<string, string[]>;
  gateway?: string;
  gateway6?: string;
  /** The persisted file may make the gateway the host's default route at boot (default false). */
  defaultRoute: boolean;
}

export interface SubnetSpec {
  subnet: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses: Record<string, string>;
}

export interface NetworkSpec {
  name: string;
  driver: "macvlan" | "ipvlan";
  parent: string;
  mode?: string;
  subnets: SubnetSpec[];
  internal: boolean;
  hosts: string[];
}

export interface ContainerSpec {
  name: string;
  host: string;
  network: string;
  ip?: string;
  ipv6?: string;
  image: string;
  command?: string[] | string;
}

export interface NamespaceInterfaceSpec {
  name: string;
  kind: "macvlan" | "macvtap" | "ipvlan";
  parent: string;
  mode?: string;
  addresses: string[];
}

export interface NamespaceSpec {
  name: string;
  host: string;
  interfaces: NamespaceInterfaceSpec[];
  gateway?: string;
  /** Default route out of this interface, no next hop (ipvlan l3: the parent routes). */
  defaultDev?: string;
  /** A router between its interfaces' subnets. */
  forward: boolean;
}

export interface ImageSeed {
  ref: string;
  tarball?: string;
}

export interface RegistrySpec {
  host: string;
  port: number;
  image: string;
  images: ImageSeed[];
  /** host:port other hosts pull from (the registry host's lab address). */
  endpoint: string;
  containerName: string;
}

export interface ExplicitCheck {
  from: string;
  to: string;
  expect: "reachable" | "unreachable";
  ipv6: boolean;
}

export interface ChecksSpec {
  matrix: boolean;
  /** The matrix includes the hosts themselves. */
  hosts: boolean;
  routed: [string, string][];
  explicit: ExplicitCheck[];
  count: number;
  timeout: number;
}

export interface Lab {
  name: string;
  /** Written into the lab file by the first `lab up` (src/labfile/lab-id.ts); recorded in host state and labels. */
  id?: string;
  description?: string;
  file: string;
  hosts: HostSpec[];
  modules: string[];
  vlans: VlanSpec[];
  registry?: RegistrySpec;
  networks: NetworkSpec[];
  containers: ContainerSpec[];
  namespaces: NamespaceSpec[];
  checks: ChecksSpec;
  timeouts: { connect: number; command: number };
  /** True when any host runs Docker work (networks, containers or registry). */
  usesDocker: boolean;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function resolveLab(raw: RawLab, file: string): Lab {
  const ctx = new RuleContext(raw);
  const d = raw.defaults ?? {};
  const connectTimeout = raw.timeouts?.connect ?? 10;
  const hosts: HostSpec[] = Object.entries(raw.hosts).map(([name, h]) => {
    const ssh = { ...d.ssh, ...h.ssh };
    const sudo = h.sudo ?? d.sudo ?? false;
    return {
      name,
      address: h.address,
      ssh: {
        host: ssh.host ?? h.address,
        port: ssh.port ?? 22,
        user: ssh.user ?? "root",
        identityFile: ssh.identity_file,
        passphraseEnv: ssh.passphrase_env,
        agent: ssh.agent ?? false,
        passwordEnv: ssh.password_env,
        jump: ssh.jump,
        connectTimeout: ssh.connect_timeout ?? connectTimeout,
      },
      sudo: sudo === false ? false : sudo === true ? {} : { passwordEnv: sudo.password_env },
      nic: h.nic ?? d.nic ?? DEFAULT_NIC,
      os: h.os ?? d.os ?? "auto",
      persist: h.persist ?? d.persist ?? "auto",
      promisc: h.promisc ?? raw.promisc ?? false,
      modules: [...new Set([...(raw.modules ?? []), ...(h.modules ?? [])])],
      shim: h.shim && {
        network: h.shim.network,
        address: h.shim.address,
        name: h.shim.name ?? "lab-shim",
        route: h.shim.route,
      },
    };
  });

  const vlans: VlanSpec[] = Object.entries(raw.vlans ?? {})
    .map(([id, v]) => ({
      id: Number(id),
      hosts: ctx.vlanHosts(id),
      addresses: Object.fromEntries(Object.entries(v.addresses ?? {}).map(([h, a]) => [h, list(a)])),
      gateway: v.gateway,
      gateway6: v.gateway6,
      defaultRoute: v.default_route ?? false,
    }))
    .sort((a, b) => a.id - b.id);

  const networks: NetworkSpec[] = Object.entries(raw.networks ?? {}).map(([name, n]: [string, RawNetwork]) => ({
    name,
    driver: n.driver,
    parent: n.parent,
    mode: n.mode,
    subnets: n.subnets.map((s) => ({
      subnet: s.subnet,
      gateway: s.gateway,
      ipRange: s.ip_range,
      auxAddresses: s.aux_addresses ?? {},
    })),
    internal: n.internal ?? false,
    hosts: ctx.networkHosts(n),
  }));

  const registryHost = raw.registry && hosts.find((h) => h.name === raw.registry!.host);
  const registry: RegistrySpec | undefined = raw.registry && {
    host: raw.registry.host,
    port: raw.registry.port ?? 5000,
    image: raw.registry.image ?? "registry:2",
    images: (raw.registry.images ?? []).map((i) =>
      typeof i === "string" ? { ref: i } : { ref: i.ref, tarball: i.tarball },
    ),
    endpoint: `${bracketV6(registryHost!.address)}:${raw.registry.port ?? 5000}`,
    containerName: `${raw.name}-registry`,
  };

  const containers: ContainerSpec[] = Object.entries(raw.containers ?? {}).map(([name, c]) => ({ name, ...c }));
  const namespaces: NamespaceSpec[] = Object.entries(raw.namespaces ?? {}).map(([name, ns]) => ({
    name,
    host: ns.host,
    gateway: ns.gateway,
    forward: ns.forward ?? false,
    defaultDev: ns.default_dev,
    interfaces: Object.entries(ns.interfaces).map(([ifname, i]) => ({
      name: ifname,
      kind: i.kind,
      parent: i.parent,
      mode: i.mode,
      addresses: list(i.address),
    })),
  }));

  return {
    name: raw.name,
    id: raw.id,
    description: raw.description?.trim(),
    file,
    hosts,
    modules: raw.modules ?? [],
    vlans,
    registry,
    networks,
    containers,
    namespaces,
    checks: {
      matrix: raw.checks?.matrix ?? true,
      hosts: raw.checks?.hosts ?? false,
      routed: raw.checks?.routed ?? [],
      explicit: (raw.checks?.explicit ?? []).map((c) => ({ ...c, ipv6: c.ipv6 ?? false })),
      count: raw.checks?.count ?? 1,
      timeout: raw.checks?.timeout ?? 1,
    },
    timeouts: { connect: connectTimeout, command: raw.timeouts?.command ?? 120 },
    usesDocker: networks.length > 0 || containers.length > 0 || registry !== undefined,
  };
}

const bracketV6 = (address: string): string => (isIpv6(address) ? `[${address}]` : address);
