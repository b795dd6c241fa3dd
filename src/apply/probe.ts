import { createHash } from "node:crypto";
import { quote } from "../plan/shell.js";
import type { Step } from "../plan/types.js";

/**
 * One remote script reads a host's whole current state: every step's check and the digest
 * of every file the plan writes. Compared locally, it tells which steps must run, so a run
 * with nothing to change costs one command per host (plus the state file read).
 */
/** The probe's last line: its answer is complete once this is out. */
export const PROBE_END = "--end\n";

export function probeScript(steps: Step[], stateFilePath: string): string {
  const lines = [
    `echo '--state'`,
    `if [ -e ${quote(stateFilePath)} ]; then cat ${quote(stateFilePath)} || exit 90; fi`,
    `echo; echo '--checks'`,
  ];
  steps.forEach((step, i) => {
    if (step.check)
      lines.push(`if { ${step.check} ; } >/dev/null 2>&1; then echo 'check ${i} 0'; else echo 'check ${i} 1'; fi`);
    // base64 keeps a multi-line inspect output on one line of the probe's answer.
    if (step.conflict)
      lines.push(`echo "conflict ${i} $( { ${step.conflict.command} ; } 2>/dev/null | base64 | tr -d '\\n')"`);
    step.actions.forEach((action, j) => {
      if (action.kind === "write")
        lines.push(`echo "file ${i} ${j} $(sha256sum < ${quote(action.path)} 2>/dev/null | cut -c1-64)"`);
    });
  });
  lines.push("echo '--end'");
  return lines.join("\n");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface ProbeResult {
  stateText: string;
  /** Step index → true when the step must run. */
  needed: boolean[];
  /** Step index → why the object that exists cannot be used (a different definition). */
  conflicts: Map<number, string>;
}

/** Compare an object's inspect output (key=value lines) with what the lab wants. */
export function describeConflict(expect: Record<string, string | string[]>, output: string): string | undefined {
  const actual = new Map(
    output
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
  );
  const differences: string[] = [];
  for (const [key, wanted] of Object.entries(expect)) {
    const have = actual.get(key) ?? "";
    if (typeof wanted === "string") {
      if (have !== wanted) differences.push(`${key} is ${have === "" ? "(none)" : have}, the lab wants ${wanted}`);
    } else {
      const words = have.split(/\s+/).filter(Boolean);
      const missing = wanted.filter((w) => !words.includes(w));
      if (missing.length > 0)
        differences.push(`${key} ${words.length ? words.join(" ") : "(none)"} lacks ${missing.join(" ")}`);
    }
  }
  return differences.length > 0 ? differences.join("; ") : undefined;
}

/** A probe that did not run to its end must not be trusted: its state could look empty. */
export function probeComplete(output: string): boolean {
  return output.includes("--state\n") && output.includes("--checks\n") && /(^|\n)--end\n?$/.test(output);
}

export function parseProbe(steps: Step[], output: string): ProbeResult {
  const stateStart = output.indexOf("--state\n");
  const checksStart = output.indexOf("--checks\n");
  const stateText = stateStart >= 0 && checksStart > stateStart ? output.slice(stateStart + 8, checksStart) : "";
  const checks = new Map<number, number>();
  const files = new Map<string, string>();
  const conflicts = new Map<number, string>();
  for (const line of output.slice(checksStart + 9).split("\n")) {
    if (line === "--end") break;
    const [kind, i, a, b] = line.split(" ");
    if (kind === "check") checks.set(Number(i), Number(a));
    if (kind === "file") files.set(`${i} ${a}`, b ?? "");
    if (kind === "conflict" && a) {
      const step = steps[Number(i)];
      const output = Buffer.from(a, "base64").toString("utf8");
      // An object that does not exist prints nothing (docker inspect may print a blank line).
      const difference = step?.conflict && output.trim() !== "" && describeConflict(step.conflict.expect, output);
      if (difference)
        conflicts.set(
          Number(i),
          `${step.conflict!.what} already exists with another definition: ${difference}. Remove or rename it; lab never reuses or replaces an object it did not make`,
        );
    }
  }
  const needed = steps.map((step, i) => {
    if (step.phase === "verify") return false;
    const writes = step.actions.map((action, j) => ({ action, j })).filter(({ action }) => action.kind === "write");
    if (writes.length > 0 && !step.check) {
      return writes.some(
        ({ action, j }) => action.kind === "write" && files.get(`${i} ${j}`) !== sha256(action.content),
      );
    }
    if (step.check) return checks.get(i) !== 0;
    return true;
  });
  return { stateText, needed, conflicts };
}
