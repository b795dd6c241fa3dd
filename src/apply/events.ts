import type { Phase, Step } from "../plan/types.js";
import type { ExecResult } from "../transport/types.js";

export type StepStatus = "ok" | "changed" | "failed" | "skipped";

/** What the engine reports; views (plain lines, listr2, JSON) listen, never steer. */
export interface ApplyEvents {
  phase(phase: Phase, title: string): void;
  stepStart?(host: string, step: Step): void;
  /** `detail`: for a failure, "command: the host's answer"; `error` holds the two apart. */
  step(
    host: string,
    step: Step,
    status: StepStatus,
    detail?: string,
    error?: { command?: string; message: string },
  ): void;
  /** `lab down`: one entry of a host's recorded changes was undone (changed) or could not be (failed). */
  undo?(host: string, title: string, status: "changed" | "failed", detail?: string): void;
  command?(host: string, command: string, result: ExecResult): void;
  /** Live output of the command running on a host. */
  output?(host: string, chunk: string, stream: "stdout" | "stderr"): void;
  note(host: string | undefined, message: string): void;
}

export const silentEvents: ApplyEvents = { phase() {}, step() {}, note() {} };

const EVENT_NAMES = ["phase", "stepStart", "step", "undo", "command", "output", "note"] as const;

/**
 * Views listen, never steer: a view that throws must not stop the engine half-way (one host's
 * failure would close every connection while the others are still working). The first error
 * of each event kind goes to `onError`; the view keeps getting later events.
 */
export function guardEvents(events: ApplyEvents, onError: (event: string, error: Error) => void): ApplyEvents {
  const reported = new Set<string>();
  const guarded: Record<string, unknown> = {};
  for (const name of EVENT_NAMES) {
    const handler = events[name] as ((...args: unknown[]) => void) | undefined;
    if (!handler) continue;
    guarded[name] = (...args: unknown[]) => {
      try {
        handler.apply(events, args);
      } catch (err) {
        if (reported.has(name)) return;
        reported.add(name);
        onError(name, err instanceof Error ? err : new Error(String(err)));
      }
    };
  }
  return guarded as unknown as ApplyEvents;
}
