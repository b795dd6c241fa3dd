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
  /** an internal error, a bug in lab: one line on stderr, the stack in .lab/logs/internal-<time>.log */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error with a stable code, the exit code it means, and where it happened. */
export class LabError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
    readonly host?: string,
    readonly step?: string,
  ) {
    super(message);
  }

  /** "host: step: message", the form every remote error is printed in. */
  get located(): string {
    return [this.host, this.step, this.message].filter(Boolean).join(": ");
  }
}
