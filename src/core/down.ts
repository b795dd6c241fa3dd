import { undoLab, type UndoOutcome } from "../apply/down.js";
import type { Emit } from "../apply/events.js";
import type { Lab } from "../labfile/model.js";
import { destroySandbox, sandboxHealthy } from "../sandbox/sandbox.js";
import { openTargets, type TargetChoice } from "./targets.js";

/** How `lab down` went, for the command (or the class) to say. */
export type DownResult =
  /** --sandbox with no running sandbox: nothing to undo, its leftovers removed. */
  | { kind: "not running"; removed: string[] }
  /** The sandbox's hosts could not be logged in to: it was removed, and what the lab did with it. */
  | { kind: "sandbox removed unreachable"; error: Error; removed: string[] }
  | {
      kind: "undone";
      outcomes: UndoOutcome[];
      /** The sandbox afterwards: removed, kept (a host refused its state), or left (not asked, stopped). */
      sandbox?: { removed: string[] } | "kept";
    };

/**
 * lab down without printing: undo exactly what the lab recorded on each host; with `removeSandbox`,
 * the sandbox goes afterwards — also when its hosts cannot be logged in to, but not after Ctrl-C
 * (what is left stays recorded) and not where a host refused its state (it may be another lab's).
 */
export async function downLab(
  lab: Lab,
  where: TargetChoice,
  options: { removeSandbox: boolean; emit: Emit; signal?: AbortSignal; log: (line: string) => void },
): Promise<DownResult> {
  if (where.sandbox && !(await sandboxHealthy(lab))) return { kind: "not running", ...(await destroySandbox(lab)) };
  let targets;
  try {
    targets = await openTargets(lab, where, { create: false }, options.log);
  } catch (error) {
    if (!options.removeSandbox) throw error;
    // The sandbox hosts are about to go, and everything the lab did on them with them:
    // failing to log in (a password variable not set, say) must not leave them running.
    return { kind: "sandbox removed unreachable", error: error as Error, ...(await destroySandbox(lab)) };
  }
  let outcomes: UndoOutcome[];
  try {
    outcomes = await undoLab(lab, targets.transports, {
      parallel: where.parallel,
      emit: options.emit,
      commandTimeoutMs: lab.timeouts.command * 1000,
      signal: options.signal,
    });
  } finally {
    await targets.close();
  }
  if (!options.removeSandbox || outcomes.some((o) => o.interrupted)) return { kind: "undone", outcomes };
  if (outcomes.some((o) => o.refused)) return { kind: "undone", outcomes, sandbox: "kept" };
  return { kind: "undone", outcomes, sandbox: await destroySandbox(lab) };
}
