/** Exit codes, decided in one place (see README "Exit codes"). */
export const EXIT = {
  /** done, and everything as expected */
  ok: 0,
  /** the lab is wrong or not as expected: invalid file, failed step, unexpected check result */
  labProblem: 1,
  /** usage: unknown flag, missing file */
  usage: 2,
  /** cannot run here: unreachable host, authentication, sudo, missing kernel feature, not root */
  cannotRun: 3,
  /** a check could not run: its container or namespace is not there (lab check, lab up's closing check) */
  checkNotRun: 4,
  /** an internal error, a bug in lab: one line on stderr, the stack in .lab/logs/internal-<time>.log */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Every error lab raises on purpose, by code, and the exit code it means: one table, so two
 * places never give one failure two exit codes.
 */
export const ERROR_CODES = {
  // usage
  usage: EXIT.usage,
  inventory: EXIT.usage,
  // the lab is wrong, or a host holds something that is not this lab's
  "jump-loop": EXIT.labProblem,
  state: EXIT.labProblem,
  "other-lab": EXIT.labProblem,
  write: EXIT.labProblem,
  // cannot run here
  "access-file": EXIT.cannotRun,
  auth: EXIT.cannotRun,
  busy: EXIT.cannotRun,
  channel: EXIT.cannotRun,
  collision: EXIT.cannotRun,
  connect: EXIT.cannotRun,
  "connection-closed": EXIT.cannotRun,
  "connection-lost": EXIT.cannotRun,
  "host-key-changed": EXIT.cannotRun,
  "host-key-unknown": EXIT.cannotRun,
  "host-key-revoked": EXIT.cannotRun,
  "host-key-cert-authority": EXIT.cannotRun,
  "host-key-invalid-name": EXIT.cannotRun,
  "host-key-unreadable": EXIT.cannotRun,
  "identity-file": EXIT.cannotRun,
  "kernel-feature": EXIT.cannotRun,
  "local-link": EXIT.cannotRun,
  lock: EXIT.cannotRun,
  "lock-lost": EXIT.cannotRun,
  "no-agent": EXIT.cannotRun,
  "no-docker": EXIT.cannotRun,
  "no-iproute2": EXIT.cannotRun,
  "no-password": EXIT.cannotRun,
  "no-sandbox": EXIT.cannotRun,
  "passthru-ssh": EXIT.cannotRun,
  "not-root": EXIT.cannotRun,
  preflight: EXIT.cannotRun,
  probe: EXIT.cannotRun,
  "reconnect-failed": EXIT.cannotRun,
  "sandbox-elsewhere": EXIT.cannotRun,
  "sandbox-missing-tools": EXIT.cannotRun,
  "sandbox-not-root": EXIT.cannotRun,
  "sandbox-start": EXIT.cannotRun,
  "state-unreadable": EXIT.cannotRun,
  sudo: EXIT.cannotRun,
  unreachable: EXIT.cannotRun,
} as const satisfies Record<string, ExitCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error with a stable code, the exit code that code means, and where it happened. */
export class LabError extends Error {
  readonly exitCode: ExitCode;
  constructor(
    message: string,
    readonly code: ErrorCode,
    readonly host?: string,
    readonly step?: string,
  ) {
    super(message);
    this.exitCode = ERROR_CODES[code];
  }

  /** "host: step: message", the form every remote error is printed in. */
  get located(): string {
    return [this.host, this.step, this.message].filter(Boolean).join(": ");
  }
}
