import { execFile, spawn } from "node:child_process";

export interface LocalResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program on this machine (no shell); never throws on a non-zero exit. */
export function runLocal(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<LocalResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { encoding: "utf8", timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === "number"
            ? (err as { code: number }).code
            : 127
          : 0;
        resolve({ code, stdout, stderr: stderr || (err && !stderr ? String(err.message) : "") });
      },
    );
    // A program that exits before reading its input must not crash us with EPIPE.
    child.stdin?.on("error", () => {});
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like runLocal, but a non-zero exit is an error carrying the command and its stderr. */
export async function mustRun(
  file: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const r = await runLocal(file, args, options);
  if (r.code !== 0) throw new Error(`${[file, ...args].join(" ")}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Start a long-lived program in its own session, detached from this process. */
export function spawnDetached(file: string, args: string[], logFd: number): number {
  const child = spawn(file, args, { detached: true, stdio: ["ignore", logFd, logFd] });
  child.unref();
  return child.pid!;
}
