import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { errorText, type Emit } from "../apply/events.js";
import { refuseLinks } from "../local-dirs.js";

/** Every command with its full output, one file per host per run, under .lab/logs/. */
export function logFileView(dir: string): Emit {
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
  return (event) => {
    switch (event.type) {
      case "step-start":
        return append(event.host, `step ${event.step.id}: ${event.step.title}`);
      case "step-end":
        return append(
          event.host,
          `step ${event.step.id}: ${event.status}${event.error ? `: ${errorText(event.error)}` : ""}`,
        );
      case "undo":
        return append(event.host, `undo ${event.title}: ${event.status}${event.message ? `: ${event.message}` : ""}`);
      case "command": {
        const { host, command, result } = event;
        const how = `${result.signal ? ` signal ${result.signal}` : ""}${result.timedOut ? " (timed out)" : ""}`;
        return append(
          host,
          `$ ${command}\n  exit ${result.code ?? "-"}${how} in ${result.durationMs} ms\n  stdout: ${result.stdout.trimEnd()}\n  stderr: ${result.stderr.trimEnd()}`,
        );
      }
      case "note":
        return append(event.host, event.message);
      case "phase":
      case "output":
        return;
    }
  };
}
