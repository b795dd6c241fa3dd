import { askFor, differenceOf, readDockerState, type DockerState } from "../apply/docker-state.js";
import { dockerQueries, PROBE_END, parseProbe, probeComplete, probeScript } from "../apply/probe.js";
import { stateFile } from "../apply/state.js";
import { quote } from "../plan/shell.js";
import { LabError } from "../errors.js";
import { hostText } from "../transport/remote-text.js";
import type { Lab } from "../labfile/model.js";
import type { Plan, Step } from "../plan/types.js";
import type { Transport } from "../transport/types.js";
import type { ProbeResult as PingResult } from "../verify/run-probes.js";
import type { MissingStep, PingRow } from "./grade-types.js";
import { differsBy } from "./same-meaning.js";

/**
 * Which plan steps are in place on a student's host, read with the same batched probe as
 * `lab up` but changing nothing: no lock, no state directory made, nothing run but reads.
 * Files are read back (at most 64 KiB each, as hex) and compared by meaning.
 */

const MAX_FILE = 65536;
/** One byte more than the largest file read back: a longer file is not what the plan writes. */
const READ = MAX_FILE + 1;

/** The probe's script plus the content of every file the plan writes, as `content I J HEX`. */
export function gradingScript(steps: Step[], statePath: string): string {
  const reads = steps.flatMap((step, i) =>
    step.actions.flatMap((action, j) =>
      action.kind === "write"
        ? [
            `if [ -f ${quote(action.path)} ]; then echo "content ${i} ${j} $(head -c ${READ} ${quote(action.path)} | od -An -tx1 -v | tr -d ' \\n')"; else echo "content ${i} ${j} -"; fi`,
          ]
        : [],
    ),
  );
  return probeScript(steps, statePath, reads.join("\n"));
}

/** `content I J HEX` lines → file text by step and action; undefined where the file is missing. */
export function fileContents(output: string): Map<string, { text: string; bytes: number } | undefined> {
  const files = new Map<string, { text: string; bytes: number } | undefined>();
  for (const line of output.split("\n")) {
    const m = /^content (\d+) (\d+) (-|[0-9a-f]*)$/.exec(line);
    if (!m) continue;
    const bytes = m[3] === "-" ? undefined : Buffer.from(m[3]!, "hex");
    files.set(`${m[1]} ${m[2]}`, bytes && { text: bytes.toString("utf8"), bytes: bytes.length });
  }
  return files;
}

export interface HostGrade {
  host: string;
  inPlace: number;
  total: number;
  missing: MissingStep[];
}

/** One host's steps, read (the probe, then Docker's API in the same command) and graded. */
export async function gradeHost(lab: Lab, plan: Plan, transport: Transport, timeoutMs: number): Promise<HostGrade> {
  const hostPlan = plan.hosts.find((h) => h.host === transport.host)!;
  const steps = hostPlan.steps.filter((s) => s.phase !== "verify");
  const r = await transport.hold(gradingScript(steps, stateFile(lab.name)), PROBE_END, { timeoutMs, retrySafe: true });
  // What a host answers (or fails to) is that host's problem: a LabError naming it, so the
  // class report goes on with every other student.
  const hostError = (why: string) => new LabError(why, "probe", transport.host, "grade");
  try {
    if (!probeComplete(r.stdout)) {
      const why = r.timedOut ? "timed out" : hostText(r.stderr, "stderr").trim() || `exit ${r.code}`;
      throw hostError(`cannot read the host's state (${why})`);
    }
    let docker: DockerState | undefined;
    if (dockerQueries(steps).length > 0) {
      if (!r.stream) throw hostError("no Docker API (is dockerd running?)");
      docker = await readDockerState(transport.host, r.stream, askFor(dockerQueries(steps)), timeoutMs).catch(
        (err: Error) => {
          throw hostError(`cannot read Docker's state (${err.message}; is dockerd running?)`);
        },
      );
    }
    return gradeSteps(transport.host, steps, r.stdout, docker);
  } finally {
    await r.release?.();
  }
}

/** Pure: which of `steps` are in place, from the probe's output and Docker's answers. */
export function gradeSteps(host: string, steps: Step[], output: string, docker: DockerState | undefined): HostGrade {
  const probe = parseProbe(steps, output, docker);
  const contents = fileContents(output);
  const missing: MissingStep[] = [];
  steps.forEach((step, i) => {
    const difference = docker && differenceOf(step, docker);
    if (difference)
      return missing.push({ host, what: `${step.conflict!.what} is not as the plan makes it: ${difference}` });
    const writes = step.actions.flatMap((a, j) => (a.kind === "write" ? [{ a, j }] : []));
    if (writes.length > 0 && !step.check) {
      // Compared by meaning: the digest the probe compares would fail a file typed by hand.
      for (const { a, j } of writes) {
        const has = contents.get(`${i} ${j}`);
        if (has === undefined) return missing.push({ host, what: `file ${a.path} missing` });
        if (has.bytes > MAX_FILE)
          return missing.push({
            host,
            what: `file ${a.path}: longer than ${MAX_FILE} bytes, not what the plan writes`,
          });
        const why = differsBy(a.path, a.content, has.text);
        if (why) return missing.push({ host, what: `file ${a.path}: ${why}` });
      }
      return;
    }
    if (probe.needed[i]) missing.push({ host, what: missingText(step, docker) });
  });
  return { host, inPlace: steps.length - missing.length, total: steps.length, missing };
}

/** What is not there, as a person says it. */
export function missingText(step: Step, docker: DockerState | undefined): string {
  const q = step.docker;
  if (!q) return `${step.title}: not in place`;
  switch (q.kind) {
    case "network":
      return `network ${q.name} missing`;
    case "container-running":
      return docker?.containers.has(q.name) ? `container ${q.name} not running` : `container ${q.name} missing`;
    case "image":
      return `image ${q.ref} missing`;
    case "registry-tag":
      return `${q.ref} not in the lab registry`;
    case "insecure-registry":
      return `dockerd does not trust the registry ${q.endpoint} (insecure-registries in /etc/docker/daemon.json)`;
  }
}

/** The check's results as the report's ping rows. */
export function pingRows(results: PingResult[]): PingRow[] {
  return results.map((r) => ({
    from: r.probe.from,
    to: r.probe.to,
    address: r.probe.address,
    expect: r.probe.expect,
    got: r.outcome === "error" ? "could not run" : r.outcome,
    asExpected: r.asExpected,
    detail: r.detail,
  }));
}
