import { isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node } from "yaml";
import { movedAddress, type SubnetMove } from "./shared.js";
import type { SshOverride } from "./roster.js";

/**
 * One student's copy of a lab file: the same YAML document (comments and layout kept) with
 * values replaced where they sit. Every replacement is named by where it is in the lab, so
 * nothing is rewritten by accident (a description that happens to read like an address stays).
 */
export interface StudentEdits {
  name: string;
  id: string;
  /** Lab host → the student's address for it. */
  addresses: Record<string, string>;
  ssh: Record<string, SshOverride>;
  /** Shared hosts only: every object name, VLAN id, subnet and port of the student's own. */
  containers?: Map<string, string>;
  networks?: Map<string, string>;
  namespaces?: Map<string, string>;
  vlans?: Map<number, number>;
  subnets?: SubnetMove[];
  /** Host → the name of its host shim interface. */
  shims?: Map<string, string>;
  registryPort?: number;
  /** registry.images[i].tarball as the lab wrote it → as the student's file must say it. */
  tarballs?: Map<string, string>;
  /** The generated file's first comment. */
  header: string;
}

type Path = (string | number)[];

export class AliasError extends Error {
  constructor() {
    super("the lab uses YAML aliases (*name): lab class generate needs every value written out where it is used");
  }
}

/** Addresses inside a container's command text (`ping 172.16.10.11`), moved with their subnets. */
const ADDRESS_IN_TEXT = /(?<![\w.:])\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?(?![\w.:])/g;

const keyText = (key: unknown): string => String(isScalar(key) ? key.value : key);

/** Walks every node with its path of keys and indexes; `visit` may replace a scalar's value or a key. */
function walk(
  node: Node | null | undefined,
  path: Path,
  visit: (path: Path, node: Node, isKey: boolean) => void,
): void {
  if (!node) return;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = keyText(pair.key);
      if (isScalar(pair.key)) visit([...path, key], pair.key, true);
      walk(pair.value as Node, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item as Node, [...path, i], visit));
  } else visit(path, node, false);
}

const matches = (path: Path, pattern: (string | null)[]) =>
  path.length === pattern.length && pattern.every((p, i) => p === null || p === String(path[i]));

/** `ens33.10` → `ens33.110` when VLAN 10 became 110. */
function movedParent(parent: string, vlans: Map<number, number>): string | undefined {
  const m = /^(.+)\.([0-9]{1,4})$/.exec(parent);
  const to = m && vlans.get(Number(m[2]));
  return to === undefined || to === null ? undefined : `${m![1]}.${to}`;
}

/** Subtrees whose addresses are the student's own hosts (from the roster), never moved with a subnet. */
const HOST_SIDE = (path: Path) =>
  (path[0] === "hosts" && (path[2] === "address" || path[2] === "ssh")) ||
  path[0] === "defaults" ||
  path[0] === "name" ||
  path[0] === "id" ||
  path[0] === "description";

export function rewriteLab(text: string, edits: StudentEdits): string {
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`the lab does not parse: ${doc.errors[0]!.message}`);
  // A value reached through an alias would keep the lab's own (an address, the name) for
  // every student: generate takes lab files with every value written out.
  let alias = false;
  visit(doc, { Alias: () => void (alias = true) });
  if (alias) throw new AliasError();
  const set = (node: Node, value: unknown) => {
    if (isScalar(node)) node.value = value;
  };
  walk(doc.contents, [], (path, node, isKey) => {
    if (!isScalar(node)) return;
    const value = node.value;
    const text = typeof value === "string" ? value : String(value);
    if (isKey) {
      // Renamed entries: the key is the name.
      if (path.length !== 2) return;
      const renamed =
        path[0] === "containers"
          ? edits.containers?.get(text)
          : path[0] === "networks"
            ? edits.networks?.get(text)
            : path[0] === "namespaces"
              ? edits.namespaces?.get(text)
              : path[0] === "vlans"
                ? edits.vlans?.get(Number(text))
                : undefined;
      if (renamed !== undefined) set(node, typeof value === "number" ? Number(renamed) : renamed);
      return;
    }
    if (matches(path, ["name"])) return set(node, edits.name);
    if (matches(path, ["id"])) return set(node, edits.id);
    if (matches(path, ["hosts", null, "address"])) return set(node, edits.addresses[String(path[1])]);
    if (matches(path, ["containers", null, "network"]) || matches(path, ["hosts", null, "shim", "network"]))
      return set(node, edits.networks?.get(text) ?? text);
    if (matches(path, ["hosts", null, "shim", "name"])) return set(node, edits.shims?.get(String(path[1])) ?? text);
    if (matches(path, ["checks", "routed", null, null])) return set(node, edits.networks?.get(text) ?? text);
    if (matches(path, ["checks", "explicit", null, "from"]) || matches(path, ["checks", "explicit", null, "to"]))
      return set(node, edits.containers?.get(text) ?? edits.namespaces?.get(text) ?? text);
    if (
      matches(path, ["networks", null, "parent"]) ||
      matches(path, ["namespaces", null, "interfaces", null, "parent"])
    )
      return set(node, (edits.vlans && movedParent(text, edits.vlans)) ?? text);
    if (matches(path, ["registry", "port"]) && edits.registryPort !== undefined) return set(node, edits.registryPort);
    if (matches(path, ["registry", "images", null, "tarball"])) return set(node, edits.tarballs?.get(text) ?? text);
    if (edits.subnets && typeof value === "string" && path[0] === "containers" && path[2] === "command") {
      const moves = edits.subnets;
      return set(
        node,
        value.replace(ADDRESS_IN_TEXT, (a) => movedAddress(a, moves) ?? a),
      );
    }
    if (edits.subnets && typeof value === "string" && !HOST_SIDE(path)) {
      const moved = movedAddress(value, edits.subnets);
      if (moved !== undefined) set(node, moved);
    }
  });
  // Values the lab left to their defaults, which a student must have of their own.
  if (edits.registryPort !== undefined && doc.hasIn(["registry"]) && !doc.hasIn(["registry", "port"]))
    doc.setIn(["registry", "port"], edits.registryPort);
  for (const [host, shim] of edits.shims ?? [])
    if (doc.hasIn(["hosts", host, "shim"]) && !doc.hasIn(["hosts", host, "shim", "name"]))
      doc.setIn(["hosts", host, "shim", "name"], shim);
  for (const [host, target] of Object.entries(edits.ssh)) {
    doc.setIn(["hosts", host, "ssh", "host"], target.host);
    if (target.user !== undefined) doc.setIn(["hosts", host, "ssh", "user"], target.user);
    if (target.port !== undefined) doc.setIn(["hosts", host, "ssh", "port"], target.port);
  }
  // The lab's own SSH target for a host is the teacher's machine, not the student's: without a
  // <host>_ssh column the student's address is the target.
  for (const host of Object.keys(edits.addresses))
    if (!edits.ssh[host] && doc.hasIn(["hosts", host, "ssh", "host"])) doc.deleteIn(["hosts", host, "ssh", "host"]);
  if (doc.hasIn(["defaults", "ssh", "host"])) doc.deleteIn(["defaults", "ssh", "host"]);
  if (!doc.has("id")) {
    // Right under name:, where lab up would have written it.
    const map = doc.contents;
    if (isMap(map)) {
      const at = map.items.findIndex((p) => keyText(p.key) === "name");
      map.items.splice(at + 1, 0, doc.createPair("id", edits.id) as never);
    }
  }
  doc.commentBefore = [edits.header, doc.commentBefore].filter(Boolean).join("\n");
  // As the lab wrote it: flow maps on one line, folded text folded again.
  return doc.toString({ lineWidth: 100 });
}
