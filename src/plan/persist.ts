import { parseCidr, formatIp, isIpv6 } from "../net/cidr.js";
import { quote } from "./shell.js";
import type { VlanSpec } from "../labfile/model.js";

/** Where and how a VLAN sub-interface is written down so it survives a reboot. */
export interface PersistFile {
  path: string;
  content: string;
  note: string;
}

const header = (lab: string) => `# Written by lab (${plainWord(lab)}); lab down removes it.\n`;

/**
 * ifcfg files are sourced by a root shell at boot: every value is quoted for sh (validated
 * values are plain words and stay readable). ifupdown has no quoting at all: a value that is
 * not a plain word is refused rather than written.
 */
const ifcfg = (key: string, value: string) => `${key}=${quote(value)}`;
const PLAIN_WORD = /^[A-Za-z0-9_.:/-]+$/;
function plainWord(value: string): string {
  if (!PLAIN_WORD.test(value))
    throw new Error(`internal: refusing to write ${JSON.stringify(value)} into a network configuration file`);
  return value;
}

/** RHEL-family network-scripts file, as in the classic exercise. */
export function ifcfgFile(lab: string, nic: string, vlan: VlanSpec, addresses: string[]): PersistFile {
  const device = `${nic}.${vlan.id}`;
  const v4 = addresses.filter((a) => !isIpv6(a));
  const v6 = addresses.filter((a) => isIpv6(a));
  const lines = [ifcfg("DEVICE", device), "BOOTPROTO=none", "ONBOOT=yes"];
  v4.forEach((a, i) => {
    const [ip, prefix] = a.split("/");
    const n = i === 0 ? "" : String(i);
    lines.push(ifcfg(`IPADDR${n}`, ip!), ifcfg(`PREFIX${n}`, prefix!));
  });
  if (vlan.gateway && v4.length > 0) lines.push(ifcfg("GATEWAY", vlan.gateway));
  // A lab VLAN never takes over the host's default route (the one SSH may depend on) unless asked.
  lines.push(`DEFROUTE=${vlan.defaultRoute ? "yes" : "no"}`);
  if (v6.length > 0) {
    lines.push("IPV6INIT=yes", ifcfg("IPV6ADDR", v6[0]!));
    if (v6.length > 1) lines.push(`IPV6ADDR_SECONDARIES="${v6.slice(1).map(plainWord).join(" ")}"`);
    if (vlan.gateway6 && vlan.defaultRoute) lines.push(ifcfg("IPV6_DEFAULTGW", vlan.gateway6));
    lines.push(`IPV6_DEFROUTE=${vlan.defaultRoute ? "yes" : "no"}`);
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
  const device = plainWord(`${nic}.${vlan.id}`);
  const v4 = addresses.filter((a) => !isIpv6(a)).map(plainWord);
  const v6 = addresses.filter((a) => isIpv6(a)).map(plainWord);
  const lines = [`auto ${device}`];
  if (v4.length === 0) lines.push(`iface ${device} inet manual`, `    vlan-raw-device ${plainWord(nic)}`);
  else {
    lines.push(`iface ${device} inet static`, ...v4.map((a) => `    address ${a}`));
    // ifupdown's gateway line is a default route: only when the lab asks for it.
    if (vlan.gateway && vlan.defaultRoute) lines.push(`    gateway ${plainWord(vlan.gateway)}`);
    lines.push(`    vlan-raw-device ${plainWord(nic)}`);
  }
  if (v6.length > 0) {
    lines.push(`iface ${device} inet6 static`, ...v6.map((a) => `    address ${a}`));
    if (vlan.gateway6 && vlan.defaultRoute) lines.push(`    gateway ${plainWord(vlan.gateway6)}`);
  }
  return {
    path: `/etc/network/interfaces.d/${device}`,
    content: header(lab) + lines.join("\n") + "\n",
    note: "read by ifupdown at boot (/etc/network/interfaces must source interfaces.d; vlan-raw-device needs the vlan package)",
  };
}

/** Write IPv6 in the form `ip addr` prints, so checks compare like with like. */
export function canonicalAddress(text: string): string {
  if (!isIpv6(text)) return text;
  const cidr = parseCidr(text);
  return cidr ? `${formatIp(cidr.address, 6)}/${cidr.prefix}` : text;
}
