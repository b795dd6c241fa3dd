import { parseCidr, formatIp } from "../net/cidr.js";
import type { VlanSpec } from "../spec/model.js";

/** Where and how a VLAN sub-interface is written down so it survives a reboot. */
export interface PersistFile {
  path: string;
  content: string;
  note: string;
}

const header = (lab: string) => `# Written by lab (${lab}); lab down removes it.\n`;

/** RHEL-family network-scripts file, as in the classic exercise. */
export function ifcfgFile(lab: string, nic: string, vlan: VlanSpec, addresses: string[]): PersistFile {
  const device = `${nic}.${vlan.id}`;
  const v4 = addresses.filter((a) => !a.includes(":"));
  const v6 = addresses.filter((a) => a.includes(":"));
  const lines = [`DEVICE=${device}`, "BOOTPROTO=none", "ONBOOT=yes"];
  v4.forEach((a, i) => {
    const [ip, prefix] = a.split("/");
    const n = i === 0 ? "" : String(i);
    lines.push(`IPADDR${n}=${ip}`, `PREFIX${n}=${prefix}`);
  });
  if (vlan.gateway && v4.length > 0) lines.push(`GATEWAY=${vlan.gateway}`);
  if (v6.length > 0) {
    lines.push("IPV6INIT=yes", `IPV6ADDR=${v6[0]}`);
    if (v6.length > 1) lines.push(`IPV6ADDR_SECONDARIES="${v6.slice(1).join(" ")}"`);
    if (vlan.gateway6) lines.push(`IPV6_DEFAULTGW=${vlan.gateway6}`);
  }
  lines.push("VLAN=yes");
  return {
    path: `/etc/sysconfig/network-scripts/ifcfg-${device}`,
    content: header(lab) + lines.join("\n") + "\n",
    note: "read by RHEL/CentOS network-scripts (NetworkManager's ifcfg-rh plugin) at boot; RHEL 9 deprecates ifcfg files",
  };
}

/** Debian/Ubuntu ifupdown stanza (needs the vlan package for vlan-raw-device). */
export function debianFile(lab: string, nic: string, vlan: VlanSpec, addresses: string[]): PersistFile {
  const device = `${nic}.${vlan.id}`;
  const v4 = addresses.filter((a) => !a.includes(":"));
  const v6 = addresses.filter((a) => a.includes(":"));
  const lines = [`auto ${device}`];
  if (v4.length === 0) lines.push(`iface ${device} inet manual`, `    vlan-raw-device ${nic}`);
  else {
    lines.push(`iface ${device} inet static`, ...v4.map((a) => `    address ${a}`));
    if (vlan.gateway) lines.push(`    gateway ${vlan.gateway}`);
    lines.push(`    vlan-raw-device ${nic}`);
  }
  if (v6.length > 0) {
    lines.push(`iface ${device} inet6 static`, ...v6.map((a) => `    address ${a}`));
    if (vlan.gateway6) lines.push(`    gateway ${vlan.gateway6}`);
  }
  return {
    path: `/etc/network/interfaces.d/${device}`,
    content: header(lab) + lines.join("\n") + "\n",
    note: "read by ifupdown at boot (/etc/network/interfaces must source interfaces.d; vlan-raw-device needs the vlan package)",
  };
}

/** Write IPv6 in the form `ip addr` prints, so checks compare like with like. */
export function canonicalAddress(text: string): string {
  if (!text.includes(":")) return text;
  const cidr = parseCidr(text);
  return cidr ? `${formatIp(cidr.address, 6)}/${cidr.prefix}` : text;
}
