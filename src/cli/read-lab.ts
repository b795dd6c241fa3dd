import { access } from "node:fs/promises";
import { formatIssue, type LocatedIssue } from "../spec/issues.js";
import type { Lab } from "../spec/model.js";
import { validateFile, type ValidationResult } from "../spec/validate.js";
import { usageError } from "./exit-codes.js";

export async function ensureReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw usageError(`cannot read ${file}: no such file`);
  }
}

export async function validatePath(file: string): Promise<ValidationResult> {
  await ensureReadable(file);
  return validateFile(file);
}

export function printIssues(issues: LocatedIssue[], write: (line: string) => void = (l) => process.stderr.write(l + "\n")): void {
  for (const issue of issues) write(formatIssue(issue));
}

/** Load a lab for commands that need a valid one; prints the errors and returns undefined otherwise. */
export async function loadValidLab(file: string): Promise<Lab | undefined> {
  const result = await validatePath(file);
  printIssues(result.issues);
  if (!result.ok) {
    const errors = result.issues.filter((i) => i.severity === "error").length;
    process.stderr.write(`${file}: ${errors} error${errors === 1 ? "" : "s"}; nothing was done\n`);
  }
  return result.lab;
}
