import type { Phase, Step } from "../plan/types.js";
import type { ExecResult } from "../transport/types.js";

export type StepStatus = "ok" | "changed" | "failed" | "skipped";

/** What the engine reports; views (plain lines, listr2, JSON) listen, never steer. */
export interface ApplyEvents {
  phase(phase: Phase, title: string): void;
  stepStart?(host: string, step: Step): void;
  step(host: string, step: Step, status: StepStatus, detail?: string): void;
  /** `lab down`: one entry of a host's recorded changes was undone (changed) or could not be (failed). */
  undo?(host: string, title: string, status: "changed" | "failed", detail?: string): void;
  command?(host: string, command: string, result: ExecResult): void;
  /** Live output of the command running on a host. */
  output?(host: string, chunk: string, stream: "stdout" | "stderr"): void;
  note(host: string | undefined, message: string): void;
}

export const silentEvents: ApplyEvents = { phase() {}, step() {}, note() {} };
