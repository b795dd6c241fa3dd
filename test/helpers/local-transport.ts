import { atomicWriteScript } from "../../src/transport/remote-text.js";
import { spawn } from "node:child_process";
import type { ExecOptions, ExecResult, Transport, TransportStats } from "../../src/transport/types.js";

/**
 * A Transport that runs each command with `sh -c` on this machine, in a working directory:
 * for running the shell snippets the apply code generates, for real, against temp paths.
 * It is not SSH and proves nothing about SSH.
 *
 * `rewrite` maps absolute path prefixes to other places (e.g. /var/lib/lab → a temp dir),
 * applied to the command text and to writeFile paths, so snippets that hard-code the lab's
 * state directory can run without touching this machine's /var/lib/lab. Targets must be
 * plain paths (no characters the shell quoting would have to protect), or the rewrite could
 * change how the command parses; the constructor refuses anything else.
 */
export class LocalTransport implements Transport {
  readonly stats: TransportStats = { connections: 1, commands: 0 };
  readonly commands: string[] = [];

  constructor(
    readonly host: string,
    private readonly cwd: string,
    private readonly rewrite: [from: string, to: string][] = [],
    /** Extra environment for every command (e.g. a PATH with stand-in programs). */
    private readonly env: Record<string, string> = {},
  ) {
    for (const [from, to] of rewrite) {
      if (!/^\/[A-Za-z0-9_./-]+$/.test(from) || !/^\/[A-Za-z0-9_./-]+$/.test(to))
        throw new Error(`LocalTransport: rewrite ${from} → ${to}: plain absolute paths only`);
    }
  }

  private map(text: string): string {
    return this.rewrite.reduce((t, [from, to]) => t.split(from).join(to), text);
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const started = Date.now();
    this.stats.commands++;
    this.commands.push(command);
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", this.map(command)], {
        cwd: this.cwd,
        env: { ...process.env, ...this.env },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      let timedOut = false;
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs)
        : undefined;
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        options.onOutput?.(d.toString(), "stdout");
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        options.onOutput?.(d.toString(), "stderr");
      });
      child.on("error", reject);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({
          code: timedOut ? null : code,
          signal: signal ?? undefined,
          stdout,
          stderr,
          timedOut,
          durationMs: Date.now() - started,
        });
      });
      // A command that exits before reading its input must not crash the run with EPIPE.
      child.stdin.on("error", () => {});
      child.stdin.end(options.stdin ?? "");
    });
  }

  /** Not needed by the snippets run here (the run lock is exercised over real SSH). */
  hold(): Promise<ExecResult> {
    return Promise.reject(new Error("LocalTransport.hold: not supported"));
  }

  /** The same temp-file-and-rename write SshTransport.writeFile does, run locally. */
  async writeFile(
    path: string,
    content: string | Buffer,
    options: { mode?: string; owner?: string } = {},
  ): Promise<void> {
    const r = await this.exec(atomicWriteScript(path, options), { stdin: content });
    if (r.code !== 0) throw new Error(`cannot write ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
  }

  async close(): Promise<void> {}
}
