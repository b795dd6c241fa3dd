import { dockerHosts } from "../plan/host-context.js";
import { resolveTopology } from "../topology/topology.js";
import { quote } from "../plan/shell.js";
import { labFilter } from "../plan/labels.js";
import type { Lab } from "../labfile/model.js";
import { stateFile } from "../apply/state.js";

/** What is deployed on one host, as read by one remote script. */
export interface HostStatus {
  host: string;
  recordedChanges: number;
  interfaces: { name: string; present: boolean; up: boolean; promisc: boolean; addresses: string[]; mac?: string }[];
  namespaces: {
    name: string;
    present: boolean;
    interfaces: { name: string; addresses: string[]; mac?: string; up: boolean }[];
  }[];
  networks: { name: string; driver: string; present: boolean }[];
  containers: { name: string; state: string; network?: string; ip?: string; mac?: string; image?: string }[];
}

export function statusScript(lab: Lab, host: string): string {
  // The host's own interfaces the lab makes or uses (trunk parents are Docker's, shown with its networks).
  const ifaces = resolveTopology(lab)
    .interfaces.filter((i) => i.host === host && (i.kind === "nic" || i.kind === "vlan" || i.kind === "shim"))
    .map((i) => i.name);
  const lines = [`echo "state $(grep -c '"id"' ${quote(stateFile(lab.name))} 2>/dev/null || echo 0)"`];
  for (const i of ifaces)
    lines.push(
      `echo "if ${i} $(ip -o link show dev ${quote(i)} 2>/dev/null | head -1 | tr '\\n' ' ')|$(ip -o addr show dev ${quote(i)} 2>/dev/null | awk '{print $4}' | tr '\\n' ' ')"`,
    );
  for (const ns of lab.namespaces.filter((n) => n.host === host)) {
    lines.push(
      `if [ -e ${quote(`/run/netns/${ns.name}`)} ]; then ip -n ${quote(ns.name)} -o link show | grep -v ' lo:' | while read -r l; do n=$(echo "$l" | awk -F': ' '{print $2}' | cut -d@ -f1); echo "ns ${ns.name} $n $(echo "$l" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2) $(echo "$l" | grep -q '[<,]UP[,>]' && echo up || echo down) $(ip -n ${quote(ns.name)} -o addr show dev "$n" | awk '{print $4}' | tr '\\n' ' ')"; done; else echo "nons ${ns.name}"; fi`,
    );
  }
  // Every host with Docker work, the registry's included (one rule with the plan: dockerHosts).
  if (dockerHosts(lab).includes(host)) {
    lines.push(`docker network ls --filter ${quote(labFilter(lab))} --format 'net {{.Name}} {{.Driver}}' 2>/dev/null`);
    lines.push(
      // One docker inspect for all of the lab's containers, not one per container.
      `ids=$(docker ps -aq --filter ${quote(labFilter(lab))} 2>/dev/null); [ -z "$ids" ] || docker inspect -f 'ctr {{.Name}} {{.State.Status}} {{.Config.Image}} {{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.MacAddress}}{{end}}' $ids`,
    );
  }
  return lines.join("\n");
}

export function parseStatus(lab: Lab, host: string, output: string): HostStatus {
  const status: HostStatus = { host, recordedChanges: 0, interfaces: [], namespaces: [], networks: [], containers: [] };
  for (const line of output.split("\n")) {
    const words = line.trim().split(/\s+/);
    // A line too short for its kind (a host printing what it likes) is passed over, never a crash.
    const minimum: Record<string, number> = { if: 2, ns: 3, nons: 2, net: 3, ctr: 3 };
    if ((minimum[words[0]!] ?? 0) > words.length) continue;
    if (words[0] === "state") status.recordedChanges = Number(words[1]) || 0;
    if (words[0] === "if") {
      const [link, addresses] = line.slice(3 + words[1]!.length + 1).split("|");
      status.interfaces.push({
        name: words[1]!,
        present: (link ?? "").trim() !== "",
        up: /[<,]UP[,>]/.test(link ?? ""),
        promisc: /PROMISC/.test(link ?? ""),
        mac: /link\/ether (\S+)/.exec(link ?? "")?.[1],
        addresses: (addresses ?? "").trim().split(/\s+/).filter(Boolean),
      });
    }
    if (words[0] === "ns" || words[0] === "nons") {
      let ns = status.namespaces.find((n) => n.name === words[1]);
      if (!ns) status.namespaces.push((ns = { name: words[1]!, present: words[0] === "ns", interfaces: [] }));
      if (words[0] === "ns")
        ns.interfaces.push({ name: words[2]!, mac: words[3], up: words[4] === "up", addresses: words.slice(5) });
    }
    if (words[0] === "net") status.networks.push({ name: words[1]!, driver: words[2]!, present: true });
    if (words[0] === "ctr")
      status.containers.push({
        name: words[1]!.replace(/^\//, ""),
        state: words[2]!,
        image: words[3],
        network: words[4],
        ip: words[5],
        mac: words[6],
      });
  }
  for (const n of lab.networks.filter((n) => n.hosts.includes(host))) {
    if (!status.networks.some((x) => x.name === n.name))
      status.networks.push({ name: n.name, driver: n.driver, present: false });
  }
  for (const c of lab.containers.filter((c) => c.host === host)) {
    if (!status.containers.some((x) => x.name === c.name)) status.containers.push({ name: c.name, state: "absent" });
  }
  return status;
}

export function statusLines(status: HostStatus): string[] {
  const out = [`${status.host}: ${status.recordedChanges} changes recorded by the lab`];
  for (const i of status.interfaces) {
    out.push(
      `  interface ${i.name}: ${i.present ? `${i.up ? "up" : "down"}${i.promisc ? ", promiscuous" : ""}${i.mac ? `, ${i.mac}` : ""}${i.addresses.length ? `, ${i.addresses.join(" ")}` : ""}` : "absent"}`,
    );
  }
  for (const ns of status.namespaces) {
    if (!ns.present) out.push(`  namespace ${ns.name}: absent`);
    for (const i of ns.interfaces)
      out.push(
        `  namespace ${ns.name}: ${i.name} ${i.up ? "up" : "down"}${i.mac ? `, ${i.mac}` : ""}${i.addresses.length ? `, ${i.addresses.join(" ")}` : ""}`,
      );
  }
  for (const n of status.networks) out.push(`  network ${n.name}: ${n.present ? n.driver : "absent"}`);
  for (const c of status.containers)
    out.push(
      `  container ${c.name}: ${c.state}${c.network ? ` on ${c.network}` : ""}${c.ip ? ` ${c.ip}` : ""}${c.mac ? ` ${c.mac}` : ""}${c.image ? ` (${c.image})` : ""}`,
    );
  return out;
}
