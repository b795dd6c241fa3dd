import { access } from "node:fs/promises";
import { byPosition, formatIssue, type LocatedIssue } from "../labfile/issues.js";
import { checkLocalPolicy, type LocalPolicy } from "../labfile/local-policy.js";
import { writeLabId } from "../labfile/lab-id.js";
import { readLabSource } from "../labfile/source.js";
import type { Lab } from "../labfile/model.js";
import { validateSource, type ValidationResult } from "../labfile/validate.js";
import { usageError } from "./exit-codes.js";

export async function ensureReadable(file: string): Promise<void> {
  try {
    await access(file);
  } catch {
    throw usageError(`cannot read ${file}: no such file`);
  }
}

/**
 * Validate a lab file; with a policy (commands that read secrets or upload files, and
 * `lab validate`), also what it may take from this machine (src/labfile/local-policy.ts).
 */
export async function validatePath(file: string, policy?: LocalPolicy): Promise<ValidationResult & { text: string }> {
  await ensureReadable(file);
  const source = await readLabSource(file);
  const result = { ...validateSource(source), text: source.text };
  if (!policy || !result.ok) return result;
  const local = await checkLocalPolicy(source, policy);
  if (local.length === 0) return result;
  const issues = [...result.issues, ...local].sort(byPosition);
  const ok = !issues.some((i) => i.severity === "error");
  return { ...result, issues, ok, lab: ok ? result.lab : undefined };
}

export function printIssues(
  issues: LocatedIssue[],
  write: (line: string) => void = (l) => process.stderr.write(l + "\n"),
): void {
  for (const issue of issues) write(formatIssue(issue));
}

/** Load a lab for commands that need a valid one; prints the errors and returns undefined otherwise. */
export async function loadValidLab(file: string, policy?: LocalPolicy): Promise<Lab | undefined> {
  return (await loadValid(file, policy)).lab;
}

async function loadValid(file: string, policy?: LocalPolicy): Promise<ValidationResult & { text: string }> {
  const result = await validatePath(file, policy);
  printIssues(result.issues);
  if (!result.ok) {
    const errors = result.issues.filter((i) => i.severity === "error").length;
    process.stderr.write(`${file}: ${errors} error${errors === 1 ? "" : "s"}; nothing was done\n`);
  }
  return result;
}

/**
 * For `lab up`, which records the lab on its hosts: a lab file without an id gets a fresh one
 * written into it first (src/labfile/lab-id.ts), so the hosts never hold a lab without one.
 */
export async function loadValidLabWithId(
  file: string,
  policy: LocalPolicy | undefined,
  write: (line: string) => void,
): Promise<Lab | undefined> {
  const result = await loadValid(file, policy);
  if (!result.lab || result.lab.id) return result.lab;
  const id = await writeLabId(file, result.text);
  write(
    `${file}: wrote \`id: ${id}\` under name: (it keeps this lab apart from other labs named ${result.lab.name} on the same hosts)`,
  );
  return { ...result.lab, id };
}
