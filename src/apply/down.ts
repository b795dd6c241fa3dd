import pLimit from "p-limit";
import type { Transport } from "../transport/types.js";
import { ActionError, performAction } from "./actions.js";
import type { ApplyEvents } from "./events.js";
import { settleAll } from "../transport/settle-all.js";
import { readState, removeState, writeState } from "./state.js";

export interface UndoOutcome {
  host: string;
  undone: number;
  failed: { id: string; title: string; message: string }[];
}

/**
 * Undo, newest first, exactly what the lab recorded on each host; files it replaced come
 * back from their backups. A failed undo is reported and kept in the state, so a later
 * `lab down` can retry it; everything else still goes.
 */
export async function undoLab(labName: string, labFile: string, transports: Map<string, Transport>, options: { parallel: number; events: ApplyEvents; commandTimeoutMs: number }): Promise<UndoOutcome[]> {
  const limit = pLimit(Math.max(1, options.parallel));
  return settleAll(
    [...transports.values()].map((transport) =>
      limit(async () => {
        const host = transport.host;
        const state = await readState(transport, labName);
        const outcome: UndoOutcome = { host, undone: 0, failed: [] };
        if (state.changed.length === 0) {
          options.events.note(host, "nothing to undo: the lab changed nothing here");
          await removeState(transport, labName);
          return outcome;
        }
        for (const entry of [...state.changed].reverse()) {
          try {
            for (const action of entry.undo) {
              await performAction({ transport, lab: labName, labFile, timeoutMs: options.commandTimeoutMs, onCommand: (c, r) => options.events.command?.(host, c, r) }, action);
            }
            state.changed = state.changed.filter((c) => c !== entry);
            outcome.undone++;
            options.events.undo?.(host, entry.title, "changed");
          } catch (err) {
            const message = err instanceof ActionError ? `${err.command}: ${err.message}` : (err as Error).message;
            outcome.failed.push({ id: entry.id, title: entry.title, message });
            options.events.undo?.(host, entry.title, "failed", message);
          }
        }
        if (state.changed.length === 0) await removeState(transport, labName);
        else await writeState(transport, state);
        return outcome;
      }),
    ),
  );
}
