import { createHash } from "node:crypto";
import { quote } from "../plan/shell.js";
import type { DockerQuery, Step } from "../plan/types.js";
import { conflictOf, DIAL_STDIO, inPlace, type DockerState } from "./docker-state.js";

/**
 * One remote script reads a host's whole current state: the state file, every step's check
 * and the digest of every file the plan writes; once it has printed that, it becomes the
 * Docker API (`docker system dial-stdio`), which answers every Docker step's question in one
 * round trip. Compared locally, it tells which steps must run, so a run with nothing to
 * change costs one command per host (plus the preflight).
 */
/** The probe's last line: its answer is complete once this is out. */
export const PROBE_END = "--end\n";

/** The Docker questions of a host's steps (none: the probe never dials Docker). */
export const dockerQueries = (steps: Step[]): DockerQuery[] => steps.flatMap((s) => (s.docker ? [s.docker] : []));

/** `extra`: more `key=value` lines the caller reads from the answer (e.g. who holds a port). */
export function probeScript(steps: Step[], stateFilePath: string, extra = ""): string {
  const lines = [
    `echo '--state'`,
    `if [ -e ${quote(stateFilePath)} ]; then cat ${quote(stateFilePath)} || exit 90; fi`,
    `echo; echo '--checks'`,
  ];
  steps.forEach((step, i) => {
    if (step.check && !step.docker)
      lines.push(`if { ${step.check} ; } >/dev/null 2>&1; then echo 'check ${i} 0'; else echo 'check ${i} 1'; fi`);
    step.actions.forEach((action, j) => {
      if (action.kind === "write")
        lines.push(`echo "file ${i} ${j} $(sha256sum < ${quote(action.path)} 2>/dev/null | cut -c1-64)"`);
    });
  });
  if (extra) lines.push(extra);
  lines.push("echo '--end'");
  // Its output ends where the answers end (dockerd down, no docker): lab reads the end at once.
  if (dockerQueries(steps).length > 0) lines.push(`${DIAL_STDIO} 2>/dev/null; exec >&- 2>&-`);
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

/** A probe that did not run to its end must not be trusted: its state could look empty. */
export function probeComplete(output: string): boolean {
  return output.includes("--state\n") && output.includes("--checks\n") && /(^|\n)--end\n?$/.test(output);
}

/** Which steps must run: the shell checks and file digests, and Docker's state for Docker steps. */
export function parseProbe(steps: Step[], output: string, docker?: DockerState): ProbeResult {
  const stateStart = output.indexOf("--state\n");
  const checksStart = output.indexOf("--checks\n");
  const stateText = stateStart >= 0 && checksStart > stateStart ? output.slice(stateStart + 8, checksStart) : "";
  const checks = new Map<number, number>();
  const files = new Map<string, string>();
  for (const line of output.slice(checksStart + 9).split("\n")) {
    if (line === "--end") break;
    const [kind, i, a, b] = line.split(" ");
    if (kind === "check") checks.set(Number(i), Number(a));
    if (kind === "file") files.set(`${i} ${a}`, b ?? "");
  }
  const conflicts = new Map<number, string>();
  if (docker)
    steps.forEach((step, i) => {
      const conflict = conflictOf(step, docker);
      if (conflict) conflicts.set(i, conflict);
    });
  const needed = steps.map((step, i) => {
    if (step.phase === "verify") return false;
    // Without Docker's answer a Docker step is taken as needed (its own command checks again).
    if (step.docker) return !docker || !inPlace(step.docker, docker);
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
