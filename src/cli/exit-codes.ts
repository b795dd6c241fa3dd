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
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly code: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage, "usage");
