import { cidrContains, familyOf, parseCidr, parseIp } from "../net/cidr.js";
import { segmentName } from "./segments.js";
import type { TopoEndpoint, TopoInterface, Topology } from "./topology.js";

/** What a ping from one endpoint to an address of another should give, and why, in a student's words. */
export interface Outcome {
  expect: "reachable" | "unreachable";
  reason: string;
}

const reachable = (reason: string): Outcome => ({ expect: "reachable", reason });
const unreachable = (reason: string): Outcome => ({ expect: "unreachable", reason });

/** Does `iface` have `ip` on-link: an address whose subnet holds it (a shim: its route). */
function onLink(iface: TopoInterface, ip: string, peer: TopoInterface): number | undefined {
  const target = parseIp(ip);
  if (!target) return undefined;
  if (iface.kind === "shim") {
    const route = iface.route && parseCidr(iface.route);
    return route && cidrContains(route, target) ? route.prefix : undefined;
  }
  // Two hosts' LAN addresses: the lab LAN joins its hosts (that is how lab reaches them).
  if (iface.kind === "nic" && peer.kind === "nic") return 0;
  let best: number | undefined;
  for (const own of iface.addresses) {
    // A host's LAN address has no prefix in the lab: it is on-link for the peer's subnet when that subnet holds it.
    const subnet = own.subnet ?? peer.addresses.find((a) => a.ip === ip)?.subnet;
    const cidr = subnet && parseCidr(subnet);
    const mine = parseIp(own.ip);
    if (cidr && mine && cidrContains(cidr, target) && cidrContains(cidr, mine)) best = Math.max(best ?? 0, cidr.prefix);
  }
  return best;
}

const driverName = (iface: TopoInterface) => iface.driver ?? "macvlan";

/** Two interfaces on one segment and subnet: does layer 2 carry frames between them? */
function linkOutcome(a: TopoInterface, b: TopoInterface): Outcome {
  if (a.host === b.host) {
    const [parent, child] = a.name === b.parent ? [a, b] : b.name === a.parent ? [b, a] : [];
    if (parent && child)
      return unreachable(
        `${article(driverName(child))} parent cannot reach its children: ${child.host}'s ${parent.name} and ${child.name.split(":")[0]} on it`,
      );
    if (a.parent !== undefined && a.parent === b.parent && a.driver && b.driver) {
      const modes = [a.mode, b.mode];
      if (a.driver !== "ipvlan" && modes.includes("private"))
        return unreachable(`macvlan private: siblings on one parent are isolated (${a.parent} on ${a.host})`);
      if (a.driver !== "ipvlan" && modes.includes("vepa"))
        return unreachable(
          `macvlan vepa: siblings on ${a.parent} reach each other only through a switch that sends their frames back (hairpin)`,
        );
      if (a.kind === "shim" || b.kind === "shim")
        return reachable(`${a.host}'s shim is a macvlan sibling of the containers on ${a.parent}`);
      return reachable(
        `${a.driver === "ipvlan" ? `ipvlan ${a.mode}` : `${a.driver} ${a.mode}`}: siblings on ${a.parent} talk inside ${a.host}`,
      );
    }
  } else {
    const l3 = [a, b].find((i) => i.driver === "ipvlan" && i.mode?.startsWith("l3"));
    if (l3)
      return unreachable(`ipvlan ${l3.mode}: the LAN has no route to the other host's children (no ARP in l3 mode)`);
  }
  const shim = [a, b].find((i) => i.kind === "shim");
  if (shim) return reachable(`through ${shim.host}'s shim ${shim.name}, across ${segmentName(a.segment)}`);
  if (a.network && a.network === b.network) return reachable(`same network ${a.network} on ${segmentName(a.segment)}`);
  return reachable(`same segment (${segmentName(a.segment)}) and subnet`);
}

const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** The interface of `from` the kernel would send from to reach `ip` on `peer`'s segment (longest prefix), if any. */
function directPath(from: TopoEndpoint, peer: TopoInterface, ip: string): TopoInterface | undefined {
  let best: { iface: TopoInterface; prefix: number } | undefined;
  for (const iface of from.interfaces) {
    if (iface.segment !== peer.segment) continue;
    const prefix = onLink(iface, ip, peer);
    if (prefix !== undefined && (!best || prefix > best.prefix)) best = { iface, prefix };
  }
  return best?.iface;
}

/**
 * A child pinging its own host's address gets an answer through the host's shim: Linux answers
 * ARP for any of its addresses on any interface, so the shim (a sibling of the child) answers,
 * and the host's route to the child goes back through the shim.
 */
function shimAnswers(topology: Topology, a: TopoInterface, b: TopoInterface): Outcome | undefined {
  if (a.host !== b.host) return undefined;
  const [parent, child] = a.name === b.parent ? [a, b] : b.name === a.parent ? [b, a] : [];
  if (!parent || !child || child !== a) return undefined;
  const childIp = child.addresses.find((x) => x.family === 4)?.ip;
  const shim = topology.interfaces.find(
    (i) =>
      i.kind === "shim" && i.host === parent.host && i.parent === parent.name && childIp && onLink(i, childIp, child),
  );
  if (!shim || linkOutcome(shim, child).expect === "unreachable") return undefined;
  return reachable(
    `through ${shim.host}'s shim ${shim.name}: the host answers for all its addresses on it, and routes the replies back through it`,
  );
}

/** A router (namespace with forward on) that takes `from`'s packets for `target` and brings the replies back. */
function viaRouter(
  topology: Topology,
  from: TopoEndpoint,
  to: TopoEndpoint,
  target: TopoInterface,
  ip: string,
): Outcome | undefined {
  const family = familyOf(ip);
  const out = from.defaultRoute[family];
  if (!out || !("via" in out)) return undefined;
  for (const router of topology.endpoints.filter((e) => e.forwards)) {
    const legIn = router.interfaces.find((i) => i.addresses.some((a) => a.ip === out.via));
    if (!legIn) continue;
    const first = directPath(from, legIn, out.via);
    if (!first || linkOutcome(first, legIn).expect === "unreachable") continue;
    const legOut = directPath(router, target, ip);
    if (!legOut) continue;
    const last = linkOutcome(legOut, target);
    if (last.expect === "unreachable") return unreachable(`${router.name} routes toward ${ip}, but ${last.reason}`);
    const back = to.defaultRoute[family];
    if (!back || !("via" in back) || !router.interfaces.some((i) => i.addresses.some((a) => a.ip === back.via)))
      return unreachable(
        `${router.name} forwards to ${to.name}, but ${to.name}'s replies do not go back through it (no route back)`,
      );
    return reachable(
      `routed by ${router.name}: ${segmentName(legIn.segment)} to ${segmentName(legOut.segment)} through its gateway ${out.via}`,
    );
  }
  return undefined;
}

/**
 * The expected outcome of `from` pinging `ip` (an address of `to`): one pure function over
 * the topology. `routed` lists network pairs the lab says a router outside it joins.
 */
export function expectedOutcome(
  topology: Topology,
  from: TopoEndpoint,
  to: TopoEndpoint,
  ip: string,
  routed: [string, string][] = [],
): Outcome {
  const target = to.interfaces.find((i) => i.addresses.some((a) => a.ip === ip));
  if (!target) return unreachable(`${to.name} has no address ${ip}`);
  const direct = directPath(from, target, ip);
  if (direct) return shimAnswers(topology, direct, target) ?? linkOutcome(direct, target);

  const family = familyOf(ip);
  const out = from.defaultRoute[family];
  const own = from.interfaces.find(
    (i) => i.segment === target.segment && i.parent === target.parent && i.host === target.host,
  );
  if (out && "dev" in out && own?.driver === "ipvlan" && own.mode?.startsWith("l3") && target.driver === "ipvlan") {
    const back = to.defaultRoute[family];
    return back && "dev" in back
      ? reachable(`ipvlan ${own.mode}: the parent ${own.parent} routes between subnets on ${own.host}`)
      : unreachable(
          `ipvlan ${own.mode}: the parent would route, but ${to.name} has no route back to ${from.name}'s subnet`,
        );
  }
  const routedOutcome = viaRouter(topology, from, to, target, ip);
  if (routedOutcome) return routedOutcome;
  if (from.kind === "container" && target.network) {
    const mine = from.interfaces[0]!.network!;
    if (routed.some(([p, q]) => (p === mine && q === target.network) || (q === mine && p === target.network)))
      return reachable(`${mine} and ${target.network} are joined by a router (checks.routed)`);
  }
  const sameSubnetElsewhere = from.interfaces.find(
    (i) => i.segment !== target.segment && onLink(i, ip, target) !== undefined,
  );
  if (sameSubnetElsewhere)
    return unreachable(
      `same subnet, but ${segmentName(sameSubnetElsewhere.segment)} and ${segmentName(target.segment)} share no layer-2 path`,
    );
  const subnet = target.addresses.find((a) => a.ip === ip)?.subnet;
  if (from.kind === "host")
    return unreachable(`no route: ${from.name} has no address in ${subnet ?? ip} and the lab gives it no route there`);
  if (from.kind === "container" && target.network && to.kind === "container") {
    const mine = from.interfaces[0]!.network!;
    if (mine === target.network) return unreachable(`different subnets of network ${mine} and no router between them`);
    return unreachable(`different networks (${mine}, ${target.network}) and no router between them`);
  }
  return unreachable(`no shared segment and subnet${out && "via" in out ? `, and no router at ${out.via}` : ""}`);
}
