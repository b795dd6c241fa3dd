import { macvlanModes, ipvlanModes } from "../schema.js";
import { error, type LabIssue, type PathSegment } from "../issues.js";
import { MAX_INTERFACE_NAME } from "../patterns.js";
import { own, type RuleContext } from "./context.js";

interface ParentUser {
  what: string;
  path: PathSegment[];
  driver: "macvlan" | "ipvlan" | "macvtap";
  mode?: string;
}

/** VLAN ids, interface names, parents, and which drivers/modes may share a parent. */
export function checkInterfaces(ctx: RuleContext): LabIssue[] {
  const { lab } = ctx;
  const issues: LabIssue[] = [];

  for (const id of Object.keys(lab.vlans ?? {})) {
    const n = Number(id);
    if (n < 1 || n > 4094) {
      issues.push(
        error(["vlans", id], `VLAN id ${id} is out of range: 802.1q ids are 1 to 4094 (0 and 4095 are reserved)`, true),
      );
      continue;
    }
    for (const host of ctx.vlanHosts(id)) {
      const name = `${ctx.nicOf(host)}.${id}`;
      if (name.length > MAX_INTERFACE_NAME) {
        issues.push(
          error(
            ["vlans", id],
            `on ${host} the VLAN interface would be '${name}' (${name.length} characters); the kernel allows ${MAX_INTERFACE_NAME}`,
            true,
          ),
        );
      }
    }
  }

  // Per host and parent: who hangs a child interface off it.
  const users = new Map<string, ParentUser[]>();
  const addUser = (host: string, parent: string, user: ParentUser) => {
    const key = `${host}\u0000${parent}`;
    users.set(key, [...(users.get(key) ?? []), user]);
  };

  for (const [name, network] of ctx.entries(lab.networks)) {
    const path = ["networks", name];
    if (network.mode) {
      const allowed: readonly string[] = network.driver === "macvlan" ? macvlanModes : ipvlanModes;
      if (!allowed.includes(network.mode)) {
        issues.push(
          error(
            [...path, "mode"],
            `mode '${network.mode}' is not ${article(network.driver)} mode (use ${allowed.join(", ")})`,
          ),
        );
      }
    }
    let trunkReported = false;
    for (const host of ctx.networkHosts(network)) {
      const parent = ctx.resolveParent(host, network.parent);
      if (parent.kind === "unknown") {
        issues.push(
          error(
            [...path, "parent"],
            `parent '${network.parent}' is not an interface the lab knows on ${host}: use its NIC '${ctx.nicOf(host)}', one of the lab's VLANs (${ctx.nicOf(host)}.ID), or ${ctx.nicOf(host)}.ID for Docker's trunk mode`,
          ),
        );
        continue;
      }
      if (parent.kind === "trunk" && (parent.id < 1 || parent.id > 4094) && !trunkReported) {
        trunkReported = true; // the same message for every host: report it once
        issues.push(
          error([...path, "parent"], `VLAN id ${parent.id} in parent '${network.parent}' is out of range (1 to 4094)`),
        );
      }
      addUser(host, network.parent, {
        what: `network ${name}`,
        path: [...path, "parent"],
        driver: network.driver,
        mode: network.mode,
      });
    }
  }

  for (const [ns, namespace] of ctx.entries(lab.namespaces)) {
    if (!Object.hasOwn(lab.hosts, namespace.host)) continue;
    for (const [ifname, iface] of Object.entries(namespace.interfaces)) {
      const path = ["namespaces", ns, "interfaces", ifname];
      if (iface.mode) {
        const allowed: readonly string[] = iface.kind === "ipvlan" ? ipvlanModes : macvlanModes;
        if (!allowed.includes(iface.mode))
          issues.push(
            error(
              [...path, "mode"],
              `mode '${iface.mode}' is not ${article(iface.kind)} mode (use ${allowed.join(", ")})`,
            ),
          );
      }
      const parent = ctx.resolveParent(namespace.host, iface.parent);
      if (parent.kind === "unknown" || parent.kind === "trunk") {
        issues.push(
          error(
            [...path, "parent"],
            `parent '${iface.parent}' does not exist on ${namespace.host}: use its NIC '${ctx.nicOf(namespace.host)}' or one of the lab's VLAN sub-interfaces`,
          ),
        );
        continue;
      }
      addUser(namespace.host, iface.parent, {
        what: `namespace ${ns} interface ${ifname}`,
        path: [...path, "parent"],
        driver: iface.kind,
        mode: iface.mode,
      });
    }
  }

  // Conflicts usually repeat on every host: report each once, naming the hosts.
  const conflicts = new Map<string, { path: PathSegment[]; message: (hosts: string) => string; hosts: string[] }>();
  const conflict = (path: PathSegment[], signature: string, host: string, message: (hosts: string) => string) => {
    const entry = conflicts.get(signature) ?? { path, message, hosts: [] };
    entry.hosts.push(host);
    conflicts.set(signature, entry);
  };
  for (const [key, list] of users) {
    const [host, parent] = key.split("\u0000") as [string, string];
    // The kernel refuses macvlan and ipvlan children on one parent ("Device or resource busy").
    const ipvlan = list.find((u) => u.driver === "ipvlan");
    const macvlan = list.find((u) => u.driver !== "ipvlan");
    if (ipvlan && macvlan) {
      conflict(
        ipvlan.path,
        `mix ${ipvlan.what} ${macvlan.what} ${parent}`,
        host,
        (hosts) =>
          `${ipvlan.what} puts an ipvlan child on ${parent} (on ${hosts}), where ${macvlan.what} puts a ${macvlan.driver} child: the kernel does not allow both on one parent`,
      );
    }
    const passthru = list.find((u) => u.mode === "passthru");
    if (passthru && list.length > 1) {
      const other = list.find((u) => u !== passthru)!;
      conflict(
        passthru.path,
        `passthru ${passthru.what} ${other.what} ${parent}`,
        host,
        (hosts) =>
          `${passthru.what} uses passthru mode on ${parent} (on ${hosts}), which allows a single child, but ${other.what} also uses that parent`,
      );
    }
  }
  for (const [key, list] of users) {
    const [host, parent] = key.split("\u0000") as [string, string];
    // Docker's macvlan and ipvlan drivers refuse a second network on a parent already in use.
    const networks = list.filter((u) => u.what.startsWith("network "));
    const kernelRefuses =
      (list.some((u) => u.driver === "ipvlan") && list.some((u) => u.driver !== "ipvlan")) ||
      list.some((u) => u.mode === "passthru");
    if (networks.length > 1 && !kernelRefuses) {
      const [first, second] = networks as [ParentUser, ParentUser];
      conflict(
        second.path,
        `docker ${first.what} ${second.what} ${parent}`,
        host,
        (hosts) =>
          `${second.what} and ${first.what} both use parent ${parent} (on ${hosts}): Docker allows one ${second.driver} network per parent interface ("is already using parent interface"); give each network its own parent, e.g. a VLAN sub-interface`,
      );
    }
  }
  for (const c of conflicts.values()) issues.push(error(c.path, c.message(c.hosts.join(", "))));

  for (const [host, h] of ctx.entries(lab.hosts)) {
    const shim = h.shim;
    if (!shim) continue;
    const network = own(lab.networks, shim.network);
    if (network && network.driver !== "macvlan") {
      issues.push(
        error(
          ["hosts", host, "shim", "network"],
          `a shim is a host macvlan interface; network '${shim.network}' uses ${network.driver}`,
        ),
      );
    } else if (network && !ctx.networkHosts(network).includes(host)) {
      issues.push(error(["hosts", host, "shim", "network"], `network '${shim.network}' is not created on ${host}`));
    }
  }

  return issues;
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);
