import { hostname } from "node:os";
import { LabError } from "../errors.js";
import { quote } from "../plan/shell.js";
import type { Transport } from "../transport/types.js";
import { stateDir } from "./state.js";

/**
 * One lock per host, so two `lab up`/`lab down` (of any lab, from any machine) never work on
 * one host at once. It is a flock on /var/lib/lab/lock held by the remote command that reads
 * the host's state (the probe): that command, once it has printed its answer, waits on its
 * input until lab releases it at the end of the run (then removes the lock file when no lab keeps
 * state on the host any more). If lab or its connection dies, sshd
 * ends the command and the kernel drops the lock: a lock never outlives its holder.
 */
const LOCK = `${stateDir}/lock`;
const HOLDER = `${stateDir}/lock.holder`;
export const LOCKED = "--locked\n";
const BUSY = "--busy";

/** Who holds it, for the message another run gets: lab, command, machine, pid, since when. */
export function holderText(lab: string, command: string): string {
  return `lab ${lab} (${command}) from ${hostname()}, pid ${process.pid}, since ${new Date().toISOString()}`;
}

/** The shell that takes the lock, runs `body` (whose output must end with `marker`), and holds on. */
export function lockedScript(holder: string, body: string): string {
  return [
    `mkdir -p ${stateDir} && chmod 700 ${stateDir} || exit 1`,
    `exec 9>>${LOCK}`,
    `if ! flock -n 9; then echo ${BUSY}; head -c 300 ${HOLDER} 2>/dev/null; exit 75; fi`,
    `printf '%s\\n' ${quote(holder)} > ${HOLDER}`,
    body,
    // Hold the lock (this shell keeps fd 9 open) until lab closes this command's input; then
    // leave nothing behind where no lab keeps state on this host any more.
    "cat >/dev/null",
    `rm -f ${HOLDER}; set -- ${stateDir}/*.json; [ -e "$1" ] || { rm -f ${LOCK}; rmdir ${stateDir} 2>/dev/null; }; true`,
  ].join("\n");
}

/** The holder a busy host named: its own text, so only printable characters, cut short. */
function busyHolder(stdout: string): string {
  const text = stdout
    .slice(stdout.indexOf(BUSY) + BUSY.length)
    .replace(/[^\x20-\x7e]+/g, " ")
    .trim()
    .slice(0, 300);
  return text || "another lab run";
}

export function busyError(host: string, stdout: string): LabError | undefined {
  if (!stdout.includes(`${BUSY}\n`)) return undefined;
  return new LabError(
    `busy: ${busyHolder(stdout)} is working on this host; nothing was changed here. Run again once it has ended`,
    "busy",
    host,
    "lock",
  );
}

/** Take the lock on a host for a run that reads no probe (lab down); the release, or the reason it is busy. */
export async function lockHost(transport: Transport, holder: string, timeoutMs: number): Promise<() => Promise<void>> {
  const r = await transport.hold(lockedScript(holder, "echo --locked"), LOCKED, { timeoutMs, retrySafe: true });
  const busy = busyError(transport.host, r.stdout);
  if (busy) throw busy;
  if (!r.release)
    throw new LabError(
      `cannot take the lock ${LOCK}: ${r.stderr.trim() || (r.timedOut ? "timed out" : `exit ${r.code}`)}`,
      "lock",
      transport.host,
    );
  return r.release;
}
