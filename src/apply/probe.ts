import { createHash } from "node:crypto";
import { quote } from "../plan/shell.js";
import type { Step } from "../plan/types.js";

/**
 * One remote script reads a host's whole current state: every step's check and the digest
 * of every file the plan writes. Compared locally, it tells which steps must run, so a run
 * with nothing to change costs one command per host (plus the state file read).
 */
export function probeScript(steps: Step[], stateFilePath: string): string {
  const lines = [`echo '--state'`, `cat ${quote(stateFilePath)} 2>/dev/null`, `echo; echo '--checks'`];
  steps.forEach((step, i) => {
    if (step.check) lines.push(`if { ${step.check} ; } >/dev/null 2>&1; then echo 'check ${i} 0'; else echo 'check ${i} 1'; fi`);
    step.actions.forEach((action, j) => {
      if (action.kind === "write") lines.push(`echo "file ${i} ${j} $(sha256sum < ${quote(action.path)} 2>/dev/null | cut -c1-64)"`);
    });
  });
  return lines.join("\n");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface ProbeResult {
  stateText: string;
  /** Step index → true when the step must run. */
  needed: boolean[];
}

export function parseProbe(steps: Step[], output: string): ProbeResult {
  const stateStart = output.indexOf("--state\n");
  const checksStart = output.indexOf("--checks\n");
  const stateText = stateStart >= 0 && checksStart > stateStart ? output.slice(stateStart + 8, checksStart) : "";
  const checks = new Map<number, number>();
  const files = new Map<string, string>();
  for (const line of output.slice(checksStart + 9).split("\n")) {
    const [kind, i, a, b] = line.split(" ");
    if (kind === "check") checks.set(Number(i), Number(a));
    if (kind === "file") files.set(`${i} ${a}`, b ?? "");
  }
  const needed = steps.map((step, i) => {
    if (step.phase === "verify") return false;
    const writes = step.actions.map((action, j) => ({ action, j })).filter(({ action }) => action.kind === "write");
    if (writes.length > 0 && !step.check) {
      return writes.some(({ action, j }) => action.kind === "write" && files.get(`${i} ${j}`) !== sha256(action.content));
    }
    if (step.check) return checks.get(i) !== 0;
    return true;
  });
  return { stateText, needed };
}
