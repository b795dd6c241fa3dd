import { EXIT, LabError, type ExitCode } from "../errors.js";

export { EXIT, type ExitCode };
/** The CLI's errors are LabErrors; the name stays for readability in command code. */
export { LabError as CliError };

export const usageError = (message: string) => new LabError(message, EXIT.usage, "usage");
