import { quote } from "../plan/shell.js";

// What lab sends to a host as text, and what it keeps of what the host answers.

/**
 * What lab keeps of one command's output, per stream: a host that prints without end (root on
 * it, or a runaway command) cannot exhaust the operator's memory. The rest is dropped, with a note.
 */
export const MAX_OUTPUT = 16 * 1024 * 1024;
/** What sudo may print before the command starts (its prompt, a lecture). */
export const MAX_BEFORE_START = 64 * 1024;
export class OutputBuffer {
  private text = "";
  private dropped = 0;
  add(chunk: string): void {
    const room = MAX_OUTPUT - this.text.length;
    if (chunk.length <= room) this.text += chunk;
    else {
      this.text += chunk.slice(0, Math.max(0, room));
      this.dropped += chunk.length - Math.max(0, room);
    }
  }
  includes(marker: string): boolean {
    return this.text.includes(marker);
  }
  toString(): string {
    return this.dropped ? `${this.text}\n[lab: ${this.dropped} more characters of output dropped]\n` : this.text;
  }
}

/** A shell script that writes its stdin to `path`: temp file in the same directory, then rename. */
export function atomicWriteScript(path: string, options: { mode?: string; owner?: string } = {}): string {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  return [
    "set -e",
    `mkdir -p ${quote(dir)}`,
    `tmp=$(mktemp ${quote(`${path}.lab-XXXXXX`)})`,
    'cat > "$tmp"',
    `chmod ${quote(options.mode ?? "0644")} "$tmp"`,
    ...(options.owner ? [`chown ${quote(options.owner)} "$tmp"`] : []),
    // rename(2) over the target: readers see the old file or the new one, never half of one.
    `mv -f "$tmp" ${quote(path)}`,
  ].join("\n");
}

/**
 * A command with a deadline also gets it on the host: closing the channel (or a signal request,
 * which sshd may ignore) does not stop what it started there. coreutils' timeout runs it in its
 * own process group and kills the whole group (TERM, then KILL), background children included.
 */
export function boundedCommand(command: string, timeoutMs: number | undefined): string {
  if (!timeoutMs) return command;
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return `if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${seconds} sh -c ${quote(command)}; else exec sh -c ${quote(command)}; fi`;
}

/**
 * What a host prints reaches the operator's terminal (summaries, the tree, messages): no
 * escape sequences from it (an OSC 52 one writes the clipboard; others repaint lines). Control
 * characters other than newline and tab become "?" (stdout keeps the \r of a \r\n line end, for
 * files written on Windows; a \r elsewhere would let a line overwrite what came before it).
 */
export function hostText(text: string, stream: "stdout" | "stderr"): string {
  return stream === "stdout"
    ? text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g, "?")
    : text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
}
