import pLimit from "p-limit";
import { settleAll } from "../transport/settle-all.js";
import { quote } from "../plan/shell.js";
import { pingArgs } from "../plan/expectations.js";
import { ICMP_PROBER } from "./icmp-prober.js";
import type { Probe } from "../plan/types.js";
import type { Lab } from "../labfile/model.js";
import type { Transport } from "../transport/types.js";

export interface ProbeResult {
  probe: Probe;
  fromHost: string;
  /** reachable / unreachable, or error when the ping could not run at all. */
  outcome: "reachable" | "unreachable" | "error";
  reachable: boolean;
  asExpected: boolean;
  /** "reply", "no reply", or why the probe could not run. */
  detail: string;
}

type EndpointKind = "container" | "namespace" | "host";

const kindOf = (lab: Lab, name: string): EndpointKind =>
  lab.containers.some((c) => c.name === name)
    ? "container"
    : lab.namespaces.some((n) => n.name === name)
      ? "namespace"
      : "host";

/**
 * One docker process per host, not per container: every container's "/NAME PID" (PID empty
 * when it is not running) into $pids. A name Docker does not know is simply missing.
 */
function containerPids(names: string[]): string {
  if (names.length === 0) return "";
  return `pids=$(docker container inspect -f '{{.Name}} {{if .State.Running}}{{.State.Pid}}{{end}}' ${names.map(quote).join(" ")} 2>/dev/null)`;
}

/**
 * A shell test that an endpoint runs; for a container it also leaves its PID in $pid (from
 * $pids), so its pings enter its network namespace with nsenter (no docker process per ping).
 */
function presenceCheck(lab: Lab, name: string): string {
  switch (kindOf(lab, name)) {
    case "host":
      return "true";
    case "namespace":
      return `[ -e ${quote(`/run/netns/${name}`)} ]`;
    case "container":
      return `pid=$(printf '%s\\n' "$pids" | awk -v n=${quote(`/${name}`)} '$1 == n { print $2 }') && [ -n "$pid" ]`;
  }
}

/** The command prefix that runs a command in the source's own network namespace (none for a host). */
function enter(lab: Lab, source: string): string {
  switch (kindOf(lab, source)) {
    case "host":
      return "";
    case "namespace":
      return `nsenter ${quote(`--net=/run/netns/${source}`)} `;
    case "container":
      return `nsenter -t "$pid" -n `;
  }
}

/**
 * One source's pings, all at once, inside its network namespace (entered once, not per
 * ping): each ping is one process, and only a failed one costs more (its stderr, cut short).
 * Prints "INDEX EXIT [STDERR]" per ping. $1 is the private directory for the stderr files.
 */
function sourceScript(lab: Lab, probes: { probe: Probe; index: number }[]): string {
  const lines = ['e="$1"'];
  for (const { probe, index } of probes)
    lines.push(`${pingArgs(lab, probe.address).map(quote).join(" ")} >/dev/null 2>"$e/${index}" & p${index}=$!`);
  for (const { index } of probes)
    lines.push(
      `wait "$p${index}"; c=$?; if [ $c -eq 0 ]; then echo '${index} 0'; else echo "${index} $c $(head -c 200 "$e/${index}" | tr '\\n' ' ')"; fi`,
    );
  return lines.join("\n");
}

/**
 * All pings of one source host run as one remote script, in parallel: one SSH round trip
 * per host, not one per pair, no docker process per ping, and one process per ping. An
 * endpoint of this host that does not run (a source, or a target in `targets`) is reported
 * once as "down NAME", never as "no reply": a ping to a stopped container proves nothing
 * about the network.
 */
export function pingScript(
  lab: Lab,
  probes: Probe[],
  targets: string[] = [],
  options: { prober: "auto" | "ping" } = { prober: "auto" },
): string {
  // Each ping's stderr goes to a file in a private directory (mktemp -d, removed at the end):
  // never a predictable /tmp path written as root.
  const lines: string[] = ["umask 077", "errs=$(mktemp -d) || exit 1", `trap 'rm -rf "$errs"' EXIT`];
  // One Perl process per source where the host has Perl and its Socket module (icmp-prober.ts);
  // else a ping per pair.
  const perl = options.prober === "auto";
  if (perl) lines.push(`prober=${quote(ICMP_PROBER)}`, "perl -MSocket -e 1 >/dev/null 2>&1 && perl=1 || perl=");
  const sources = [...new Set(probes.map((p) => p.from))];
  const containers = [...new Set([...sources, ...targets])].filter((name) => kindOf(lab, name) === "container");
  if (containers.length > 0) lines.push(containerPids(containers));
  for (const source of sources) {
    const own = probes.flatMap((probe, index) => (probe.from === source ? [{ probe, index }] : []));
    const { count, timeout } = lab.checks;
    const perlArgs = own.map(({ probe, index }) => quote(`${index}=${probe.address}`)).join(" ");
    const onePerPair = `${enter(lab, source)}sh -c ${quote(sourceScript(lab, own))} sh "$errs" &`;
    lines.push(
      `if ${presenceCheck(lab, source)}; then`,
      ...(perl
        ? [
            `  if [ -n "$perl" ]; then ${enter(lab, source)}perl -e "$prober" ${timeout} ${count} ${perlArgs} &`,
            `  else ${onePerPair}`,
            "  fi",
          ]
        : [`  ${onePerPair}`]),
      `else echo ${quote(`down ${source}`)}; fi`,
    );
  }
  for (const target of new Set(targets)) {
    if (!sources.includes(target)) lines.push(`${presenceCheck(lab, target)} || echo ${quote(`down ${target}`)}`);
  }
  lines.push("wait");
  return lines.join("\n");
}

/** Per host: the pings its endpoints send, and its endpoints that are pinged. */
export interface HostProbes {
  probes: Probe[];
  targets: string[];
}

export async function runProbes(
  lab: Lab,
  byHost: Map<string, HostProbes>,
  transports: Map<string, Transport>,
  options: { parallel: number; timeoutMs: number },
): Promise<ProbeResult[]> {
  const limit = pLimit(Math.max(1, options.parallel));
  /** Endpoints found not running, and the host that said so. */
  const down = new Map<string, string>();
  const perHost = await settleAll(
    [...byHost].map(([host, { probes, targets }]) =>
      limit(async () => {
        const r = await transports
          .get(host)!
          .exec(pingScript(lab, probes, targets), { timeoutMs: options.timeoutMs, retrySafe: true });
        const codes = new Map<number, { code: number; stderr: string }>();
        for (const line of r.stdout.split("\n")) {
          const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
          if (m) codes.set(Number(m[1]), { code: Number(m[2]), stderr: m[3]!.trim() });
          // Only names this host was asked about: a hostile host cannot mark another's endpoint down.
          const name = line.startsWith("down ") ? line.slice(5) : undefined;
          if (name && (probes.some((p) => p.from === name) || targets.includes(name))) down.set(name, host);
        }
        return { host, probes, codes, timedOut: r.timedOut, stderr: r.stderr };
      }),
    ),
  );
  // Results are read once every host has answered: a target's state comes from its own host.
  return perHost.flatMap(({ host, probes, codes, timedOut, stderr }) =>
    probes.map((probe, i): ProbeResult => {
      const got = codes.get(i);
      const error = (detail: string): ProbeResult => ({
        probe,
        fromHost: host,
        outcome: "error",
        reachable: false,
        asExpected: false,
        detail,
      });
      if (down.has(probe.from)) return error(`${probe.from} is not running on ${host}`);
      if (down.has(probe.to)) return error(`the target ${probe.to} is not running on ${down.get(probe.to)}`);
      if (!got)
        return error(
          timedOut ? "the check script timed out" : `no result (${stderr.trim() || "the check script was cut short"})`,
        );
      // ping: 0 reply, 1 no reply, 2 an error on the way (no route, interface down): all
      // answers about reachability. 125–127 mean the ping itself could not be started.
      if (got.code >= 125 || got.stderr.startsWith("nsenter:"))
        return error(`the ping could not start: ${got.stderr || `exit ${got.code}`}`);
      const reachable = got.code === 0;
      const detail = reachable
        ? "reply"
        : got.code === 1
          ? "no reply"
          : `ping error: ${got.stderr || `exit ${got.code}`}`;
      return {
        probe,
        fromHost: host,
        outcome: reachable ? "reachable" : "unreachable",
        reachable,
        asExpected: reachable === (probe.expect === "reachable"),
        detail,
      };
    }),
  );
}
