import { segmentName, vlanSegment, type Segment } from "../../topology/segments.js";
import { cidrContains, formatIp, isReservedInSubnet, parseCidr, parseIp, type Ip } from "../../net/cidr.js";
import { error, pathText, warning, type LabIssue, type PathSegment } from "../issues.js";
import type { RawSubnet } from "../schema.js";
import { own, type RuleContext } from "./context.js";

interface Holder {
  ip: Ip;
  who: string;
  path: PathSegment[];
  /** Gateways are routers outside the lab: several networks may name the same one. */
  gateway: boolean;
  /** The Docker network a container or gateway address belongs to. */
  network?: string;
  /** An interface of a router namespace (forward: true), which may hold a gateway's address. */
  router?: boolean;
}

/**
 * Fixed addresses: inside their subnet, not reserved, and never used twice on one layer-2
 * segment, even on different hosts. The classic mistake is starting bbox10 with the same
 * address on docker01 and docker02: each host's Docker allocates on its own and does not
 * see the other host's containers, so nothing stops it until the pings fail.
 */
export function checkAddresses(ctx: RuleContext): LabIssue[] {
  const { lab } = ctx;
  const issues: LabIssue[] = [];
  const segments = new Map<Segment, Holder[]>();
  const hold = (segment: Segment, holder: Holder) => segments.set(segment, [...(segments.get(segment) ?? []), holder]);

  for (const [host, h] of ctx.entries(lab.hosts)) {
    const ip = parseIp(h.address);
    if (ip) hold("lan", { ip, who: `host ${host}`, path: ["hosts", host, "address"], gateway: false });
  }
  for (const [id, vlan] of ctx.entries(lab.vlans)) {
    const segment = vlanSegment(id);
    for (const [host, value] of Object.entries(vlan.addresses ?? {})) {
      (Array.isArray(value) ? value : [value]).forEach((text, i) => {
        const ip = parseIp(text.split("/")[0]!);
        const path = ["vlans", id, "addresses", host, ...(Array.isArray(value) ? [i] : [])];
        if (ip) hold(segment, { ip, who: `${host}'s VLAN ${id} interface`, path, gateway: false });
      });
    }
    for (const key of ["gateway", "gateway6"] as const) {
      const ip = vlan[key] ? parseIp(vlan[key]) : undefined;
      if (ip) hold(segment, { ip, who: `the VLAN ${id} gateway`, path: ["vlans", id, key], gateway: true });
    }
  }
  for (const [name, network] of ctx.entries(lab.networks)) {
    const segment = segmentOfNetwork(ctx, name);
    if (!segment) continue;
    network.subnets.forEach((s, i) => {
      const ip = s.gateway ? parseIp(s.gateway) : undefined;
      if (ip)
        hold(segment, {
          ip,
          who: `the ${name} gateway`,
          path: ["networks", name, "subnets", i, "gateway"],
          gateway: true,
          network: name,
        });
    });
  }

  for (const [name, c] of ctx.entries(lab.containers)) {
    const network = own(lab.networks, c.network);
    if (!network) continue;
    const segment = segmentOfNetwork(ctx, c.network);
    if (!c.ip && !c.ipv6) {
      issues.push(
        warning(
          ["containers", name],
          `container ${name} has no fixed ip: each host's Docker picks addresses on its own, so containers on different hosts can get the same one; give it an ip`,
          true,
        ),
      );
    }
    for (const key of ["ip", "ipv6"] as const) {
      const text = c[key];
      const ip = text ? parseIp(text) : undefined;
      if (!ip) continue;
      const path = ["containers", name, key];
      const subnet = network.subnets.find((s) => {
        const cidr = parseCidr(s.subnet);
        return cidr && cidrContains(cidr, ip);
      });
      if (!subnet) {
        const family = network.subnets.filter((s) => parseCidr(s.subnet)?.version === ip.version).map((s) => s.subnet);
        issues.push(
          error(
            path,
            family.length
              ? `${text} is not inside ${c.network}'s subnet ${family.join(" or ")}`
              : `network ${c.network} has no IPv${ip.version} subnet for ${text}`,
          ),
        );
        continue;
      }
      const problem = reservedProblem(subnet, ip);
      if (problem) issues.push(error(path, `${text} ${problem}`));
      if (segment)
        hold(segment, { ip, who: `container ${name} on ${c.host}`, path, gateway: false, network: c.network });
    }
  }

  for (const [ns, namespace] of ctx.entries(lab.namespaces)) {
    for (const [ifname, iface] of Object.entries(namespace.interfaces)) {
      const parent = Object.hasOwn(lab.hosts, namespace.host)
        ? ctx.resolveParent(namespace.host, iface.parent)
        : undefined;
      if (!parent || parent.kind === "unknown" || !iface.address) continue;
      const list = Array.isArray(iface.address) ? iface.address : [iface.address];
      list.forEach((text, i) => {
        const ip = parseIp(text.split("/")[0]!);
        const path = ["namespaces", ns, "interfaces", ifname, "address", ...(Array.isArray(iface.address) ? [i] : [])];
        if (ip)
          hold(parent.segment, {
            ip,
            who: `namespace ${ns} (${namespace.host}) ${ifname}`,
            path,
            gateway: false,
            router: namespace.forward === true,
          });
      });
    }
  }

  for (const [host, h] of ctx.entries(lab.hosts)) {
    if (!h.shim) continue;
    const network = own(lab.networks, h.shim.network);
    const ip = parseIp(h.shim.address);
    if (!network || !ip) continue;
    const path = ["hosts", host, "shim", "address"];
    const subnet = network.subnets.find((s) => {
      const cidr = parseCidr(s.subnet);
      return cidr && cidrContains(cidr, ip);
    });
    if (!subnet) issues.push(error(path, `shim address ${h.shim.address} is not inside ${h.shim.network}'s subnets`));
    else if (!Object.values(subnet.aux_addresses ?? {}).includes(h.shim.address)) {
      issues.push(
        warning(
          path,
          `reserve ${h.shim.address} in ${h.shim.network}'s aux_addresses so Docker never gives it to a container`,
        ),
      );
    }
    const segment = segmentOfNetwork(ctx, h.shim.network);
    if (segment) hold(segment, { ip, who: `${host}'s shim`, path, gateway: false });
  }

  for (const [segment, holders] of segments) issues.push(...duplicatesOn(ctx, segment, holders));
  return issues;
}

/** The segment a network's containers sit on (the parent's LAN or VLAN). */
function segmentOfNetwork(ctx: RuleContext, name: string): Segment | undefined {
  const network = own(ctx.lab.networks, name);
  if (!network) return undefined;
  for (const host of ctx.networkHosts(network)) {
    const parent = ctx.resolveParent(host, network.parent);
    if (parent.kind !== "unknown") return parent.segment;
  }
  return undefined;
}

function reservedProblem(subnet: RawSubnet, ip: Ip): string | undefined {
  const cidr = parseCidr(subnet.subnet)!;
  if (isReservedInSubnet(cidr, ip))
    return `is the ${ip.value === cidr.network ? "network" : "broadcast"} address of ${subnet.subnet}`;
  if (subnet.gateway && parseIp(subnet.gateway)?.value === ip.value) return `is the gateway of ${subnet.subnet}`;
  const aux = Object.entries(subnet.aux_addresses ?? {}).find(([, v]) => parseIp(v)?.value === ip.value);
  if (aux) return `is reserved as aux address '${aux[0]}'`;
  const range = subnet.ip_range ? parseCidr(subnet.ip_range) : undefined;
  if (range && !cidrContains(range, ip))
    return `is outside ip_range ${subnet.ip_range}; Docker only hands out fixed addresses inside it`;
  return undefined;
}

function duplicatesOn(ctx: RuleContext, segment: Segment, holders: Holder[]): LabIssue[] {
  const issues: LabIssue[] = [];
  const first = new Map<string, Holder>();
  const where = segmentName(segment);
  for (const holder of holders) {
    const key = holder.ip.value.toString() + "/" + holder.ip.version;
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, holder);
      continue;
    }
    if (earlier.gateway && holder.gateway) continue;
    const culprit = holder.gateway ? earlier : holder;
    const other = culprit === holder ? earlier : holder;
    // A container on its own network's gateway address is already reported as such.
    if (other.gateway && other.network !== undefined && other.network === culprit.network) continue;
    // A router namespace (forward: true) at a subnet's gateway address is that gateway.
    if (other.gateway && culprit.router) continue;
    if (other.gateway) {
      issues.push(
        error(
          culprit.path,
          `${holder.ip.text} is the address of ${other.who} (${pathText(other.path)}), a router on ${where}; ${culprit.who} needs another address` +
            (culprit.who.startsWith("namespace ") ? " (or forward: true on the namespace, to be that router)" : ""),
        ),
      );
      continue;
    }
    const suggestion = freeAddressNear(ctx, holder.ip, holders);
    issues.push(
      error(
        culprit.path,
        `${holder.ip.text} is used twice on ${where}: by ${other.who} (${pathText(other.path)}) and by ${culprit.who}. ` +
          `Addresses must be unique on one layer-2 segment across all hosts: each host's Docker allocates on its own and cannot see the other hosts' containers` +
          (suggestion ? `; ${suggestion} is free` : ""),
      ),
    );
  }
  return issues;
}

/** The next address after `ip` that nothing on the segment holds and its subnet does not reserve, for the message. */
function freeAddressNear(ctx: RuleContext, ip: Ip, holders: Holder[]): string | undefined {
  const taken = new Set(holders.map((h) => h.ip.value));
  const subnet = Object.values(ctx.lab.networks ?? {})
    .flatMap((n) => n.subnets)
    .find((s) => {
      const cidr = parseCidr(s.subnet);
      return cidr && cidrContains(cidr, ip);
    });
  const cidr = subnet && parseCidr(subnet.subnet);
  for (let v = ip.value + 1n, i = 0; i < 256; v++, i++) {
    if (cidr && (v >= cidr.last || v <= cidr.network)) return undefined;
    const candidate: Ip = { version: ip.version, value: v, text: formatIp(v, ip.version) };
    // Not an aux address, the gateway or outside ip_range: the suggestion must itself be valid.
    if (!taken.has(v) && !(subnet && reservedProblem(subnet, candidate))) return candidate.text;
  }
  return undefined;
}
