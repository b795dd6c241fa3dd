import pLimit from "p-limit";
import type { Probe } from "../plan/types.js";
import type { Transport } from "../transport/types.js";

export interface ProbeResult {
  probe: Probe;
  fromHost: string;
  reachable: boolean;
  asExpected: boolean;
  /** Exit code of ping (0 reply, 1 no reply, 2 error) or why it could not run. */
  detail: string;
}

/**
 * All pings of one source host run as one remote script, in parallel: one SSH round trip
 * per host, not one per pair.
 */
export function pingScript(probes: Probe[]): string {
  const lines = probes.map((p, i) => `{ ${p.command} >/dev/null 2>/tmp/lab-ping-$$-${i}; echo "${i} $? $(head -c 200 /tmp/lab-ping-$$-${i} | tr '\\n' ' ')"; rm -f /tmp/lab-ping-$$-${i}; } &`);
  return [...lines, "wait"].join("\n");
}

export async function runProbes(byHost: Map<string, Probe[]>, transports: Map<string, Transport>, options: { parallel: number; timeoutMs: number }): Promise<ProbeResult[]> {
  const limit = pLimit(Math.max(1, options.parallel));
  const perHost = await Promise.all(
    [...byHost].map(([host, probes]) =>
      limit(async () => {
        const r = await transports.get(host)!.exec(pingScript(probes), { timeoutMs: options.timeoutMs });
        const codes = new Map<number, { code: number; stderr: string }>();
        for (const line of r.stdout.split("\n")) {
          const m = /^(\d+) (\d+) ?(.*)$/.exec(line);
          if (m) codes.set(Number(m[1]), { code: Number(m[2]), stderr: m[3]!.trim() });
        }
        return probes.map((probe, i): ProbeResult => {
          const got = codes.get(i);
          const reachable = got?.code === 0;
          // ping exits 1 for "no reply"; anything else means the probe itself failed (no such container, …).
          const detail = !got ? "no result (the check script was cut short)" : got.code <= 1 ? (reachable ? "reply" : "no reply") : `could not ping: ${got.stderr || `exit ${got.code}`}`;
          return { probe, fromHost: host, reachable, asExpected: got !== undefined && got.code <= 1 && reachable === (probe.expect === "reachable"), detail };
        });
      }),
    ),
  );
  return perHost.flat();
}
