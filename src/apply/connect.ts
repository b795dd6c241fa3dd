import { homedir } from "node:os";
import { join } from "node:path";
import { LabError } from "../errors.js";
import { KnownHosts } from "../transport/known-hosts.js";
import { SshTransport } from "../transport/ssh.js";
import type { SshEndpoint } from "../transport/ssh-open.js";
import type { Transport } from "../transport/types.js";
import pLimit from "p-limit";

export interface ConnectOptions {
  knownHostsFile?: string;
  strictHostKeys: boolean;
  parallel: number;
  log: (line: string) => void;
}

/** One connection per host, all at once; if any host fails, close the rest and say why for each. */
export async function connectAll(
  endpoints: Map<string, SshEndpoint>,
  options: ConnectOptions,
): Promise<Map<string, Transport>> {
  const knownHosts = new KnownHosts(options.knownHostsFile ?? join(homedir(), ".ssh", "known_hosts"));
  const limit = pLimit(Math.max(1, options.parallel));
  const results = await Promise.allSettled(
    [...endpoints.values()].map((endpoint) =>
      limit(() =>
        SshTransport.connect(endpoint, {
          knownHosts,
          hostKeyPolicy: options.strictHostKeys ? "strict" : "accept-new",
          log: options.log,
        }),
      ),
    ),
  );
  const transports = new Map<string, Transport>();
  const failures: LabError[] = [];
  for (const r of results) {
    if (r.status === "fulfilled") transports.set(r.value.host, r.value);
    else
      failures.push(
        r.reason instanceof LabError
          ? r.reason
          : new LabError(r.reason instanceof Error ? r.reason.message : String(r.reason), "connect"),
      );
  }
  if (failures.length > 0) {
    await closeAll(transports);
    const message = failures.map((f) => f.located).join("\n");
    throw new LabError(message, failures[0]!.code);
  }
  return transports;
}

export async function closeAll(transports: Map<string, Transport>): Promise<void> {
  await Promise.all([...transports.values()].map((t) => t.close().catch(() => {})));
}
