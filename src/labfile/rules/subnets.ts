import {
  cidrContains,
  cidrsOverlap,
  formatIp,
  isNetworkAligned,
  isReservedInSubnet,
  parseCidr,
  parseIp,
  type Cidr,
} from "../../net/cidr.js";
import { error, warning, type LabIssue, type PathSegment } from "../issues.js";
import type { RuleContext } from "./context.js";

/** Docker subnets: well-formed, not overlapping, with gateway/ip_range/aux_addresses inside. */
export function checkSubnets(ctx: RuleContext): LabIssue[] {
  const issues: LabIssue[] = [];
  const seen: { cidr: Cidr; network: string; path: PathSegment[] }[] = [];

  for (const [name, network] of ctx.entries(ctx.lab.networks)) {
    network.subnets.forEach((s, i) => {
      const path = ["networks", name, "subnets", i];
      const cidr = parseCidr(s.subnet);
      if (!cidr) return; // the schema already reported it
      if (!isNetworkAligned(cidr)) {
        const fixed = `${formatNetwork(cidr)}/${cidr.prefix}`;
        issues.push(error([...path, "subnet"], `subnet ${s.subnet} has host bits set; write ${fixed}`));
      }
      for (const other of seen) {
        if (cidrsOverlap(cidr, other.cidr)) {
          const where = other.network === name ? `another subnet of ${name}` : `network ${other.network}'s subnet`;
          issues.push(
            error(
              [...path, "subnet"],
              `subnet ${s.subnet} overlaps ${where} ${other.cidr.text}: Docker refuses it with "Pool overlaps with other one on this address space"`,
            ),
          );
        }
      }
      seen.push({ cidr, network: name, path });

      const gateway = s.gateway ? parseIp(s.gateway) : undefined;
      if (gateway) {
        if (!cidrContains(cidr, gateway))
          issues.push(error([...path, "gateway"], `gateway ${s.gateway} is not inside subnet ${s.subnet}`));
        else if (isReservedInSubnet(cidr, gateway))
          issues.push(
            error(
              [...path, "gateway"],
              `gateway ${s.gateway} is the ${reservedName(cidr, gateway.value)} address of ${s.subnet}`,
            ),
          );
        if (network.driver === "ipvlan" && (network.mode === "l3" || network.mode === "l3s")) {
          issues.push(
            warning(
              [...path, "gateway"],
              `ipvlan ${network.mode} ignores the gateway: containers get a default route through their parent`,
            ),
          );
        }
      }
      const range = s.ip_range ? parseCidr(s.ip_range) : undefined;
      if (range) {
        if (!isNetworkAligned(range))
          issues.push(
            error(
              [...path, "ip_range"],
              `ip_range ${s.ip_range} has host bits set; write ${formatNetwork(range)}/${range.prefix}`,
            ),
          );
        if (!cidrContains(cidr, range))
          issues.push(error([...path, "ip_range"], `ip_range ${s.ip_range} is not inside subnet ${s.subnet}`));
      }
      const auxSeen = new Map<string, string>();
      for (const [aux, text] of Object.entries(s.aux_addresses ?? {})) {
        const ip = parseIp(text);
        if (!ip) continue;
        const auxPath = [...path, "aux_addresses", aux];
        if (!cidrContains(cidr, ip))
          issues.push(error(auxPath, `aux address ${aux}=${text} is not inside subnet ${s.subnet}`));
        else if (isReservedInSubnet(cidr, ip))
          issues.push(
            error(auxPath, `aux address ${aux}=${text} is the ${reservedName(cidr, ip.value)} address of ${s.subnet}`),
          );
        else if (gateway && gateway.value === ip.value)
          issues.push(
            error(auxPath, `aux address ${aux}=${text} is the gateway; Docker fails with "failed to allocate gateway"`),
          );
        const twin = auxSeen.get(ip.value.toString());
        if (twin) issues.push(error(auxPath, `aux address ${aux}=${text} is already reserved as ${twin}`));
        auxSeen.set(ip.value.toString(), aux);
      }
    });
  }

  for (const [id, vlan] of ctx.entries(ctx.lab.vlans)) {
    const gateway = vlan.gateway ? parseIp(vlan.gateway) : undefined;
    const v4Subnets: Cidr[] = [];
    for (const [host, value] of Object.entries(vlan.addresses ?? {})) {
      const list = Array.isArray(value) ? value : [value];
      list.forEach((text, i) => {
        const path = ["vlans", id, "addresses", host, ...(Array.isArray(value) ? [i] : [])];
        const cidr = parseCidr(text);
        if (!cidr) return;
        const ip = parseIp(text.split("/")[0]!)!;
        if (isReservedInSubnet(cidr, ip)) {
          issues.push(
            error(
              path,
              `${text} is the ${reservedName(cidr, ip.value)} address of its subnet; an interface cannot use it`,
            ),
          );
        }
        if (cidr.version === 4) v4Subnets.push(cidr);
      });
    }
    if (gateway && v4Subnets.length > 0 && !v4Subnets.some((c) => cidrContains(c, gateway))) {
      const subnets = [...new Set(v4Subnets.map((c) => `${formatNetwork(c)}/${c.prefix}`))].join(", ");
      issues.push(
        error(
          ["vlans", id, "gateway"],
          `gateway ${vlan.gateway} is not inside VLAN ${id}'s subnet (${subnets}, from its addresses)`,
        ),
      );
    }
  }
  return issues;
}

const formatNetwork = (cidr: Cidr): string => formatIp(cidr.network, cidr.version);

const reservedName = (cidr: Cidr, value: bigint): string => (value === cidr.network ? "network" : "broadcast");
