import type { ApplyEvents, StepStatus } from "../apply/events.js";

/**
 * One line per event, each naming its host: for CI logs, pipes and anything without a TTY.
 * `verbose` adds every remote command with its exit code.
 */
export function plainEvents(
  write: (line: string) => void,
  options: { verbose: boolean },
): ApplyEvents & { counts: Map<string, Record<StepStatus, number>> } {
  const counts = new Map<string, Record<StepStatus, number>>();
  return {
    counts,
    phase(_phase, title) {
      write(`-- ${title}`);
    },
    step(host, step, status, detail) {
      const c = counts.get(host) ?? { ok: 0, changed: 0, failed: 0, skipped: 0 };
      c[status]++;
      counts.set(host, c);
      if (status === "skipped" && !options.verbose) return;
      write(`${host}: ${step.phase}: ${step.title}: ${status}${detail ? `: ${detail}` : ""}`);
    },
    undo(host, title, status, detail) {
      const c = counts.get(host) ?? { ok: 0, changed: 0, failed: 0, skipped: 0 };
      c[status]++;
      counts.set(host, c);
      write(`${host}: undo: ${title}: ${status === "changed" ? "undone" : "FAILED"}${detail ? `: ${detail}` : ""}`);
    },
    command(host, command, result) {
      if (!options.verbose) return;
      const firstLine = command.split("\n")[0]!;
      write(
        `${host}:   $ ${firstLine}${command.includes("\n") ? " …" : ""}  (exit ${result.code ?? result.signal ?? "?"}, ${result.durationMs} ms)`,
      );
    },
    note(host, message) {
      write(host ? `${host}: ${message}` : message);
    },
  };
}

export function summaryLines(counts: Map<string, Record<StepStatus, number>>): string[] {
  return [...counts].map(
    ([host, c]) => `${host}: ${c.ok} ok, ${c.changed} changed, ${c.failed} failed, ${c.skipped} skipped`,
  );
}
