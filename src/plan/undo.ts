import { z } from "zod";
import { parseCidr, parseIp } from "../net/cidr.js";
import { patterns } from "../labfile/patterns.js";
import { ownedBy } from "./labels.js";
import { sh } from "./shell.js";
import type { Action } from "./types.js";

/**
 * What undoes a step, as data: each record names the object the lab made, and the commands
 * that remove it are built here, on the operator's machine. Records are kept on the host (in
 * its state file) so `lab down` works from any machine, even for steps gone from an edited lab
 * file; a host that edits its state file can name other objects of these kinds, but never
 * make lab run a command of its choosing or read a file on the operator's machine.
 */
const name = (p: { regex: RegExp }) => z.string().regex(p.regex);
const iface = name(patterns.interfaceName).max(15);
const netns = name(patterns.namespaceName);
const object = name(patterns.objectName);
const labId = name(patterns.labId);
const address = z.string().refine((v) => parseCidr(v) !== undefined, "an address with prefix length");
const ip = z.string().refine((v) => parseIp(v) !== undefined, "an IP address");
const route = z.string().refine((v) => v === "default" || parseCidr(v) !== undefined, "a prefix or default");
const image = name(patterns.imageRef);
const moduleName = name(patterns.moduleName);
/** host:port of a lab registry (an IPv6 host in brackets). */
const registryEndpoint = z
  .string()
  .regex(
    /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):[0-9]{1,5}$/,
    "host:port of a registry",
  );
/** Only the files lab itself writes, and only under the directories it writes them in. */
export const RESTORABLE_FILES = [
  /^\/etc\/sysconfig\/network-scripts\/ifcfg-[A-Za-z0-9_.-]+$/,
  /^\/etc\/network\/interfaces\.d\/[A-Za-z0-9_.-]+$/,
  /^\/etc\/modules-load\.d\/lab-[a-z0-9-]+\.conf$/,
  /^\/etc\/docker\/daemon\.json$/,
];
const restorable = z.string().refine((p) => RESTORABLE_FILES.some((re) => re.test(p)), "a file lab writes");

export const undoSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("unload-module"), module: moduleName }),
  z.strictObject({ kind: z.literal("restore-file"), path: restorable }),
  /** daemon.json back as it was, then dockerd reloads it (state written before remove-insecure-registry). */
  z.strictObject({ kind: z.literal("restore-daemon-json") }),
  /**
   * Only this lab's registry out of daemon.json's insecure-registries, then dockerd reloads it:
   * another lab on the same host (a student sharing it) keeps its own entry.
   */
  z.strictObject({ kind: z.literal("remove-insecure-registry"), endpoint: registryEndpoint }),
  z.strictObject({ kind: z.literal("promisc-off"), dev: iface }),
  z.strictObject({ kind: z.literal("delete-link"), link: iface, netns: netns.optional() }),
  z.strictObject({ kind: z.literal("link-down"), dev: iface, netns: netns.optional() }),
  z.strictObject({ kind: z.literal("delete-address"), address, dev: iface, netns: netns.optional() }),
  z.strictObject({
    kind: z.literal("delete-route"),
    route,
    dev: iface.optional(),
    via: ip.optional(),
    netns: netns.optional(),
  }),
  z.strictObject({ kind: z.literal("delete-netns"), netns }),
  /** Removed only while it still carries the lab's label: never a same-named object of someone else. */
  z.strictObject({
    kind: z.literal("remove-labelled"),
    object: z.enum(["container", "network"]),
    name: object,
    id: labId,
  }),
  z.strictObject({ kind: z.literal("remove-image"), ref: image }),
]);
export type Undo = z.infer<typeof undoSchema>;

const DAEMON_JSON = "/etc/docker/daemon.json";
export const RELOAD_DOCKER = `systemctl reload docker 2>/dev/null || kill -s HUP "$(pidof dockerd)"`;

/**
 * Before a Docker undo: with dockerd stopped, `docker inspect` fails as if the object were
 * gone, and the record would be dropped while the object comes back with the daemon. Fail
 * instead, so the record stays for the next `lab down`.
 */
const DOCKER_REACHABLE = `docker info >/dev/null 2>&1 || { echo 'cannot reach dockerd on this host (is it running?); kept for the next lab down' >&2; exit 1; }`;

const ipIn = (netns: string | undefined, ...words: string[]): string =>
  netns ? sh("ip", "-n", netns, ...words) : sh("ip", ...words);

/** The actions that undo one record; every value quoted. */
export function undoActions(undo: Undo): Action[] {
  const run = (command: string): Action => ({ kind: "run", command });
  switch (undo.kind) {
    case "unload-module":
      return [run(sh("modprobe", "-r", undo.module))];
    case "restore-file":
      return [{ kind: "restore", path: undo.path }];
    case "restore-daemon-json":
      return [{ kind: "restore", path: DAEMON_JSON }, run(RELOAD_DOCKER)];
    case "remove-insecure-registry":
      return [
        { kind: "unmerge-json", path: DAEMON_JSON, remove: { "insecure-registries": [undo.endpoint] } },
        run(RELOAD_DOCKER),
      ];
    case "promisc-off":
      return [run(sh("ip", "link", "set", undo.dev, "promisc", "off"))];
    case "delete-link":
      return [run(ipIn(undo.netns, "link", "del", undo.link))];
    case "link-down":
      return [run(ipIn(undo.netns, "link", "set", "dev", undo.dev, "down"))];
    case "delete-address":
      return [run(ipIn(undo.netns, "addr", "del", undo.address, "dev", undo.dev))];
    case "delete-route":
      return [
        run(
          ipIn(
            undo.netns,
            "route",
            "del",
            undo.route,
            ...(undo.via ? ["via", undo.via] : []),
            ...(undo.dev ? ["dev", undo.dev] : []),
          ),
        ),
      ];
    case "delete-netns":
      return [run(sh("ip", "netns", "del", undo.netns))];
    case "remove-labelled": {
      const remove =
        undo.object === "container"
          ? sh("docker", "rm", "-f", "-v", undo.name)
          : sh("docker", "network", "rm", undo.name);
      return [run(`${DOCKER_REACHABLE}\nif ${ownedBy(undo.object, undo.name, undo.id)}; then ${remove}; fi`)];
    }
    case "remove-image":
      return [run(sh("docker", "image", "rm", undo.ref))];
  }
}

/**
 * A host-wide setting other labs on the host may rely on too (students sharing a host: the first
 * to turn the NIC promiscuous records it, all of them need it). Its undo is left alone while
 * another lab keeps state on the host (see otherLabsCommand).
 */
export const sharedSetting = (undo: Undo): boolean => undo.kind === "promisc-off";

/** Prints, one per line, the other labs keeping state on this host. */
export function otherLabsCommand(labName: string): string {
  return `for f in /var/lib/lab/*.json; do [ -e "$f" ] && [ "$f" != ${sh(`/var/lib/lab/${labName}.json`)} ] && basename "$f" .json; done; true`;
}

/**
 * A command that succeeds when what the record names is already gone, so a `lab down` that
 * stopped half-way (or a host changed by hand) counts it as done instead of failing on it.
 */
export function alreadyGoneCheck(undo: Undo): string | undefined {
  switch (undo.kind) {
    case "delete-link":
      return `! ${ipIn(undo.netns, "link", "show", "dev", undo.link)} >/dev/null 2>&1`;
    case "delete-netns":
      return `[ ! -e ${sh(`/run/netns/${undo.netns}`)} ]`;
    case "delete-address":
      return `! ${ipIn(undo.netns, "-o", "addr", "show", "dev", undo.dev)} 2>/dev/null | grep -qF ${sh(` ${undo.address} `)}`;
    case "link-down":
      return `! ${ipIn(undo.netns, "link", "show", "dev", undo.dev)} >/dev/null 2>&1`;
    case "unload-module":
      return `[ ! -d ${sh(`/sys/module/${undo.module}`)} ]`;
    case "remove-image":
      return `docker info >/dev/null 2>&1 && ! docker image inspect ${sh(undo.ref)} >/dev/null 2>&1`;
    default:
      // The others are safe to run again (restores, labelled removals, promisc off, routes checked below).
      return undo.kind === "delete-route"
        ? `! ${ipIn(undo.netns, "route", "show", undo.route, ...(undo.dev ? ["dev", undo.dev] : []))} 2>/dev/null | grep -q .`
        : undefined;
  }
}
