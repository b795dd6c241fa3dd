import { errorText, type Emit, type StepStatus } from "../apply/events.js";
import type { StepOutcome } from "../apply/engine.js";

/**
 * One line per event, each naming its host: for CI logs, pipes and anything without a TTY.
 * `verbose` adds every remote command with its exit code, and the steps skipped.
 */
export function plainView(write: (line: string) => void, options: { verbose: boolean }): Emit {
  return (event) => {
    switch (event.type) {
      case "phase":
        return write(`-- ${event.title}`);
      case "step-end": {
        if (event.status === "skipped" && !options.verbose) return;
        const detail = event.error ? `: ${errorText(event.error)}` : "";
        return write(`${event.host}: ${event.step.phase}: ${event.step.title}: ${event.status}${detail}`);
      }
      case "undo":
        return write(
          `${event.host}: undo: ${event.title}: ${event.status === "undone" ? "undone" : "FAILED"}${event.message ? `: ${event.message}` : ""}`,
        );
      case "command": {
        if (!options.verbose) return;
        const { host, command, result } = event;
        const more = command.includes("\n") ? " …" : "";
        return write(
          `${host}:   $ ${command.split("\n")[0]}${more}  (exit ${result.code ?? result.signal ?? "?"}, ${result.durationMs} ms)`,
        );
      }
      case "note":
        return write(event.host ? `${event.host}: ${event.message}` : event.message);
      case "step-start":
      case "output":
        return;
    }
  };
}

/** Steps per host and status, counted once, from the engine's result (every view shows these). */
export function summaryLines(outcomes: StepOutcome[]): string[] {
  const counts = new Map<string, Record<StepStatus, number>>();
  for (const o of outcomes) {
    const c = counts.get(o.host) ?? { ok: 0, changed: 0, failed: 0, skipped: 0 };
    c[o.status]++;
    counts.set(o.host, c);
  }
  return [...counts].map(
    ([host, c]) => `${host}: ${c.ok} ok, ${c.changed} changed, ${c.failed} failed, ${c.skipped} skipped`,
  );
}
