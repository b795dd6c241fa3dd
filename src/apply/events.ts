import type { Phase, Step } from "../plan/types.js";
import type { ExecResult } from "../transport/types.js";

export type StepStatus = "ok" | "changed" | "failed" | "skipped";

/** Why a step failed: the command (when one ran) and the host's answer. */
export interface StepError {
  command?: string;
  message: string;
}

/** What the engine (lab up) and the undo (lab down) report, one event at a time. */
export type ApplyEvent =
  | { type: "phase"; phase: Phase; title: string }
  | { type: "step-start"; host: string; step: Step }
  | { type: "step-end"; host: string; step: Step; status: StepStatus; error?: StepError }
  /** lab down: one entry of a host's recorded changes was undone, or could not be. */
  | { type: "undo"; host: string; title: string; status: "undone" | "failed"; message?: string }
  | { type: "command"; host: string; command: string; result: ExecResult }
  /** Live output of the command running on a host. */
  | { type: "output"; host: string; chunk: string; stream: "stdout" | "stderr" }
  | { type: "note"; host?: string; message: string };

/** Views (the live tree, plain lines, the log file) listen through one function; they never steer. */
export type Emit = (event: ApplyEvent) => void;

export const silent: Emit = () => {};

/** "command: answer" for a failed step, or the answer alone. */
export const errorText = (error: StepError): string => `${error.command ? `${error.command}: ` : ""}${error.message}`;

/** Every view hears every event, in the order given. */
export function fanOut(...views: Emit[]): Emit {
  return (event) => views.forEach((view) => view(event));
}

/**
 * A view that throws must not stop the engine half-way (one host's failure would close every
 * connection while the others are still working). The first error of each event type goes to
 * `onError`; the view keeps getting later events.
 */
export function guardEmit(emit: Emit, onError: (type: ApplyEvent["type"], error: Error) => void): Emit {
  const reported = new Set<ApplyEvent["type"]>();
  return (event) => {
    try {
      emit(event);
    } catch (err) {
      if (reported.has(event.type)) return;
      reported.add(event.type);
      onError(event.type, err instanceof Error ? err : new Error(String(err)));
    }
  };
}
