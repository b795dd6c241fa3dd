import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import { refuseLinks } from "../local-dirs.js";
import { join } from "node:path";
import type { ApplyEvents } from "../apply/events.js";

/** Every command with its full output, one file per host per run, under .lab/logs/. */
export function logFileEvents(dir: string, inner: ApplyEvents): ApplyEvents {
  refuseLinks(dir, "its logs");
  mkdirSync(dir, { recursive: true });
  // O_NOFOLLOW: a log file planted as a link is never written through.
  const flag = constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW;
  const append = (host: string | undefined, text: string) => {
    const fd = openSync(join(dir, `${host ?? "lab"}.log`), flag, 0o600);
    try {
      writeSync(fd, `${new Date().toISOString()} ${text}\n`);
    } finally {
      closeSync(fd);
    }
  };
  return {
    phase: (phase, title) => inner.phase(phase, title),
    stepStart: (host, step) => {
      append(host, `step ${step.id}: ${step.title}`);
      inner.stepStart?.(host, step);
    },
    step: (host, step, status, detail, error) => {
      append(host, `step ${step.id}: ${status}${detail ? `: ${detail}` : ""}`);
      inner.step(host, step, status, detail, error);
    },
    undo: (host, title, status, detail) => {
      append(host, `undo ${title}: ${status}${detail ? `: ${detail}` : ""}`);
      inner.undo?.(host, title, status, detail);
    },
    command: (host, command, result) => {
      append(
        host,
        `$ ${command}\n  exit ${result.code ?? "-"}${result.signal ? ` signal ${result.signal}` : ""}${result.timedOut ? " (timed out)" : ""} in ${result.durationMs} ms\n  stdout: ${result.stdout.trimEnd()}\n  stderr: ${result.stderr.trimEnd()}`,
      );
      inner.command?.(host, command, result);
    },
    output: (host, chunk, stream) => inner.output?.(host, chunk, stream),
    note: (host, message) => {
      append(host, message);
      inner.note(host, message);
    },
  };
}
