import { EXIT, LabError } from "../errors.js";
import { quote } from "../plan/shell.js";
import type { Action } from "../plan/types.js";
import type { Transport } from "../transport/types.js";

/**
 * What the lab changed on a host, kept on the host itself (so `lab down` works from any
 * machine): the steps it changed, in order, each with its undo. Backups of replaced files
 * live next to it.
 */
export interface HostState {
  lab: string;
  version: 1;
  updatedAt: string;
  changed: { id: string; title: string; undo: Action[]; at: string }[];
}

export const stateDir = "/var/lib/lab";
export const stateFile = (lab: string) => `${stateDir}/${lab}.json`;
export const backupDir = (lab: string) => `${stateDir}/${lab}.backup`;
/** One flat file per backed-up path: /etc/docker/daemon.json → _etc_docker_daemon.json. */
export const backupPath = (lab: string, path: string) => `${backupDir(lab)}/${path.replace(/\//g, "_")}`;

export const emptyState = (lab: string): HostState => ({ lab, version: 1, updatedAt: new Date().toISOString(), changed: [] });

export function parseState(lab: string, text: string, host: string): HostState {
  if (!text.trim()) return emptyState(lab);
  try {
    const state = JSON.parse(text) as HostState;
    if (state.version !== 1 || !Array.isArray(state.changed)) throw new Error("unknown format");
    return state;
  } catch (err) {
    throw new LabError(`${stateFile(lab)} is unreadable (${(err as Error).message}); move it aside to start over`, EXIT.labProblem, "state", host);
  }
}

export async function readState(transport: Transport, lab: string): Promise<HostState> {
  const file = quote(stateFile(lab));
  // A failed read (sudo refused, timeout) must never look like "the lab changed nothing".
  const r = await transport.exec(`if [ -e ${file} ]; then cat ${file}; fi`, { timeoutMs: 60_000, retrySafe: true });
  if (r.code !== 0) {
    throw new LabError(`cannot read ${stateFile(lab)}: ${r.stderr.trim() || (r.timedOut ? "timed out" : `exit ${r.code}`)}`, EXIT.cannotRun, "state", transport.host);
  }
  return parseState(lab, r.stdout, transport.host);
}

export async function writeState(transport: Transport, state: HostState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await transport.writeFile(stateFile(state.lab), JSON.stringify(state, null, 2) + "\n", { mode: "0600" });
}

export async function removeState(transport: Transport, lab: string): Promise<void> {
  // /var/lib/lab goes too when no other lab keeps its state there.
  await transport.exec(`rm -rf ${quote(stateFile(lab))} ${quote(backupDir(lab))}; rmdir ${stateDir} 2>/dev/null || true`);
}
