import { EXIT, LabError, type ExitCode } from "../errors.js";

export { EXIT, LabError, type ExitCode };

export const usageError = (message: string) => new LabError(message, "usage");
