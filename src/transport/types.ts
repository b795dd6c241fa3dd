import type { Duplex } from "node:stream";

/** One connection to one host: run commands, write files, close. */
export interface ExecResult {
  /** null when killed by a signal or timed out. */
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Live output, for progress views. */
  onOutput?: (chunk: string, stream: "stdout" | "stderr") => void;
  /**
   * The command only reads (a probe, a ping): if the connection drops while it runs, it is run
   * again on a new connection. Other commands fail then, since whether they took effect is unknown.
   */
  retrySafe?: boolean;
}

export interface HoldOptions extends ExecOptions {
  /**
   * Run on the output of the held command when it is taken again on a new connection: says
   * why the host is no longer as lab left it (another run worked there meanwhile), or undefined.
   */
  retakeCheck?: (stdout: string) => string | undefined;
}

export interface TransportStats {
  connections: number;
  commands: number;
}

/** A command still running after its marker (see Transport.hold); `release` ends it. */
export interface Held extends ExecResult {
  release(): Promise<void>;
  /**
   * What the command prints after its marker, and its input (written as is): a command that
   * goes on to `docker system dial-stdio` is spoken to through it (src/apply/docker-state.ts).
   */
  stream?: Duplex;
}

export interface Transport {
  readonly host: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /**
   * Run a command that keeps running after printing `marker` (it holds a lock for the run):
   * resolves at the marker with a `release` that ends it; a command that exits before the
   * marker resolves as exec does (no `release`).
   */
  hold(
    command: string,
    marker: string,
    options?: HoldOptions,
  ): Promise<ExecResult & Partial<Pick<Held, "release" | "stream">>>;
  /** Atomic write: temp file in the same directory, then rename over the target. */
  writeFile(path: string, content: string | Buffer, options?: { mode?: string; owner?: string }): Promise<void>;
  close(): Promise<void>;
  readonly stats: TransportStats;
}
