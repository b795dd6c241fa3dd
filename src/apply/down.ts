import pLimit from "p-limit";
import { LabError } from "../errors.js";
import { alreadyGoneCheck, otherLabsCommand, sharedSetting, undoActions } from "../plan/undo.js";
import { patterns } from "../labfile/patterns.js";
import { hostText } from "../transport/remote-text.js";
import { settleAll } from "../transport/settle-all.js";
import type { ExecResult, Transport } from "../transport/types.js";
import { ActionError, performAction } from "./actions.js";
import type { Emit } from "./events.js";
import { holderText, lockHost } from "./lock.js";
import { readState, removeState, writeState, type HostState, type LabIdentity } from "./state.js";

export interface UndoOutcome {
  host: string;
  undone: number;
  failed: { id: string; title: string; message: string }[];
  /** The host's state file was refused (or unreadable): nothing ran there. */
  refused?: string;
  /** Stopped by Ctrl-C before every entry was undone. */
  interrupted?: boolean;
}

/**
 * Undo, newest first, exactly what the lab recorded on each host, with commands built here
 * from the recorded data; files it replaced come back from their backups. The state is saved
 * after every entry, so a stopped `lab down` continues where it stood. A failed undo is reported
 * and kept for a retry; a host whose state file is refused runs nothing; other hosts go on.
 */
export async function undoLab(
  lab: LabIdentity & { file: string },
  transports: Map<string, Transport>,
  options: { parallel: number; emit: Emit; commandTimeoutMs: number; signal?: AbortSignal; holder?: string },
): Promise<UndoOutcome[]> {
  const limit = pLimit(Math.max(1, options.parallel));
  return settleAll(
    [...transports.values()].map((transport) =>
      limit(async () => {
        const host = transport.host;
        const outcome: UndoOutcome = { host, undone: 0, failed: [] };
        let release: (() => Promise<void>) | undefined;
        let state: HostState | undefined;
        try {
          // The same per-host lock as lab up: never two runs on one host at once.
          release = await lockHost(transport, options.holder ?? holderText(lab.name, "down"), options.commandTimeoutMs);
          state = await readState(transport, lab);
        } catch (err) {
          await release?.();
          if (!(err instanceof LabError)) throw err;
          outcome.refused = err.message;
          options.emit({ type: "note", host, message: err.message });
          return outcome;
        }
        try {
          return await undoHost(lab.name, lab.file, transport, state, outcome, options);
        } finally {
          await release();
        }
      }),
    ),
  );
}

async function undoHost(
  labName: string,
  labFile: string,
  transport: Transport,
  state: HostState | undefined,
  outcome: UndoOutcome,
  options: { emit: Emit; commandTimeoutMs: number; signal?: AbortSignal },
): Promise<UndoOutcome> {
  const host = transport.host;
  if (!state || state.changed.length === 0) {
    options.emit({ type: "note", host, message: "nothing to undo: the lab changed nothing here" });
    await removeState(transport, labName);
    return outcome;
  }
  const ctx = {
    transport,
    lab: labName,
    labFile,
    timeoutMs: options.commandTimeoutMs,
    onCommand: (command: string, result: ExecResult) => options.emit({ type: "command", host, command, result }),
  };
  // Asked once per host, and only where a record is of a setting other labs may need too.
  const others = state.changed.some((e) => e.undo.some(sharedSetting))
    ? hostText(
        (await transport.exec(otherLabsCommand(labName), { timeoutMs: options.commandTimeoutMs })).stdout,
        "stdout",
      )
        .split("\n")
        .filter((l) => patterns.labName.regex.test(l))
    : [];
  for (const entry of [...state.changed].reverse()) {
    if (options.signal?.aborted) {
      outcome.interrupted = true;
      break;
    }
    try {
      for (const undo of entry.undo) {
        const gone = alreadyGoneCheck(undo);
        if (gone && (await transport.exec(gone, { timeoutMs: options.commandTimeoutMs })).code === 0) continue;
        if (sharedSetting(undo) && others.length > 0) {
          options.emit({
            type: "note",
            host,
            message: `${entry.title}: left as it is, since lab ${others.join(", ")} also keeps state on this host (undo it by hand once no lab needs it)`,
          });
          continue;
        }
        for (const action of undoActions(undo)) await performAction(ctx, action);
      }
      state.changed = state.changed.filter((c) => c !== entry);
      outcome.undone++;
      options.emit({ type: "undo", host, title: entry.title, status: "undone" });
      if (state.changed.length > 0) await writeState(transport, state);
    } catch (err) {
      const message = err instanceof ActionError ? `${err.command}: ${err.message}` : (err as Error).message;
      outcome.failed.push({ id: entry.id, title: entry.title, message });
      options.emit({ type: "undo", host, title: entry.title, status: "failed", message });
    }
  }
  if (state.changed.length === 0) await removeState(transport, labName);
  else await writeState(transport, state);
  return outcome;
}
