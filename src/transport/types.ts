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

export interface TransportStats {
  connections: number;
  commands: number;
}

export interface Transport {
  readonly host: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Atomic write: temp file in the same directory, then rename over the target. */
  writeFile(path: string, content: string | Buffer, options?: { mode?: string; owner?: string }): Promise<void>;
  close(): Promise<void>;
  readonly stats: TransportStats;
}
