import type { Duplex } from "node:stream";
import pLimit from "p-limit";
import { PHASES, type HostPlan, type Phase, type Plan, type Step } from "../plan/types.js";
import type { Lab } from "../labfile/model.js";
import type { Transport } from "../transport/types.js";
import { ActionError, performAction } from "./actions.js";
import { undoActions } from "../plan/undo.js";
import { guardEmit, type Emit, type StepError, type StepStatus } from "./events.js";
import { settleAll } from "../transport/settle-all.js";
import { busyError, holderText, lockedScript } from "./lock.js";
import { collisions, portOwnerLine, portOwnerScript } from "./collisions.js";
import { dockerQueries, PROBE_END, parseProbe, probeComplete, probeScript } from "./probe.js";
import { askFor, readDockerState, type DockerState } from "./docker-state.js";
import { LabError } from "../errors.js";
import { emptyState, parseState, stateFile, writeState, type HostState } from "./state.js";

export interface StepOutcome {
  host: string;
  step: Step;
  status: StepStatus;
  /** For a failure: the command and the host's answer. */
  error?: StepError;
}

/** Records a step's outcome and tells the views. */
type RecordOutcome = (host: string, step: Step, status: StepStatus, error?: StepError) => void;

export interface ApplyResult {
  outcomes: StepOutcome[];
  failed: boolean;
  interrupted: boolean;
  /** Errors thrown by the views listening (bugs in a view; the run itself went on). */
  viewErrors: string[];
}

export interface ApplyOptions {
  parallel: number;
  emit: Emit;
  commandTimeoutMs: number;
  signal?: AbortSignal;
  /** Who takes the hosts' locks, as other runs will be told (default: this process, `up`). */
  holder?: string;
}

interface HostRun {
  plan: HostPlan;
  transport: Transport;
  state: HostState;
  needed: Map<Step, boolean>;
  conflicts: Map<Step, string>;
  failed: boolean;
  /** Stopped because another host failed where this one needed its result (the registry's images). */
  blocked?: boolean;
  /** The state file as lab last read or wrote it on the host (see `retakeCheck`). */
  onHost: { text: string };
}

/**
 * Bring every host to the plan. Hosts run in parallel, each through its phases at its own
 * pace; a host waits for another only where it needs that host's result: its pulls start once
 * the registry host has pushed. A failing host stops; the others go on with everything that
 * does not depend on it (a failed registry host stops the others' pulls and what follows).
 * Every step checks before it acts.
 */
export async function applyPlan(
  lab: Lab,
  plan: Plan,
  transports: Map<string, Transport>,
  rawOptions: ApplyOptions,
): Promise<ApplyResult> {
  // Hosts only ever record a lab with an id (lab up writes one into the file first).
  if (!lab.id) throw new Error("applyPlan needs a lab with an id");
  const limit = pLimit(Math.max(1, rawOptions.parallel));
  const viewErrors: string[] = [];
  const options = {
    ...rawOptions,
    emit: guardEmit(rawOptions.emit, (type, err) => viewErrors.push(`${type}: ${err.message}`)),
  };
  const outcomes: StepOutcome[] = [];
  const record = (host: string, step: Step, status: StepStatus, error?: StepError) => {
    outcomes.push({ host, step, status, error });
    options.emit({ type: "step-end", host, step, status, error });
  };

  // Read every host's state in one batched command each, which also takes the host's lock and
  // holds it until the run ends (src/apply/lock.ts).
  const releases: (() => Promise<void>)[] = [];
  try {
    return await applyLocked({ lab, plan, transports, options, limit, outcomes, record, releases, viewErrors });
  } finally {
    await Promise.allSettled(releases.map((release) => release()));
  }
}

/** One run of applyPlan: what its phases share. */
interface RunContext {
  lab: Lab;
  plan: Plan;
  transports: Map<string, Transport>;
  options: ApplyOptions;
  limit: ReturnType<typeof pLimit>;
  outcomes: StepOutcome[];
  record: RecordOutcome;
  /** Each host's lock, released when the run ends whatever happened. */
  releases: (() => Promise<void>)[];
  viewErrors: string[];
}

async function applyLocked({
  lab,
  plan,
  transports,
  options,
  limit,
  outcomes,
  record,
  releases,
  viewErrors,
}: RunContext): Promise<ApplyResult> {
  const holder = options.holder ?? holderText(lab.name, "up");
  const runs: HostRun[] = await everyHostOrAll(
    plan.hosts.map((hostPlan) =>
      limit(async () => {
        const transport = transports.get(hostPlan.host)!;
        const steps = hostPlan.steps;
        const onHost = { text: "" };
        // Taken again after a dropped connection, the lock must find the state as lab left it:
        // otherwise another run worked here meanwhile, and lab's picture of the host is stale.
        const retakeCheck = (stdout: string) =>
          probeComplete(stdout) && parseProbe(steps, stdout).stateText.trim() === onHost.text.trim()
            ? undefined
            : "the host's state file changed meanwhile (another lab run?)";
        const script = probeScript(steps, stateFile(lab.name), portOwnerScript(lab, hostPlan.host));
        const r = await transport.hold(lockedScript(holder, script), PROBE_END, {
          timeoutMs: options.commandTimeoutMs,
          retrySafe: true,
          retakeCheck,
        });
        if (r.release) releases.push(r.release);
        const busy = busyError(hostPlan.host, r.stdout);
        if (busy) throw busy;
        if (!probeComplete(r.stdout)) {
          const why = r.timedOut ? "timed out" : r.stderr.trim() || `exit ${r.code}`;
          throw new LabError(
            `cannot read the host's current state (${why}); nothing was changed here`,
            "probe",
            hostPlan.host,
            "probe",
          );
        }
        const docker = await dockerStateAfterProbe(hostPlan.host, steps, r.stream, options.commandTimeoutMs);
        const found = docker ? collisions(lab, hostPlan.host, docker, portOwnerLine(r.stdout)) : [];
        if (found.length > 0)
          throw new LabError(`${found.join("; ")}; nothing was changed`, "collision", hostPlan.host, "probe");
        const probe = parseProbe(steps, r.stdout, docker);
        onHost.text = probe.stateText;
        return {
          onHost,
          plan: hostPlan,
          transport,
          state: parseState(lab, probe.stateText, hostPlan.host) ?? emptyState(lab),
          needed: new Map(steps.map((s, i) => [s, probe.needed[i]!])),
          conflicts: new Map([...probe.conflicts].map(([i, message]) => [steps[i]!, message])),
          failed: false,
        };
      }),
    ),
  );

  // Each host goes through its phases at its own pace. The one cross-host dependency: pulls
  // (distribute) start once the registry host has seeded, and not at all where it could not.
  const registryRun = runs.find((r) => r.plan.host === lab.registry?.host);
  let seededNow: (ok: boolean) => void = () => {};
  const seeded = new Promise<boolean>((resolve) => (seededNow = resolve));
  if (!registryRun) seededNow(false);
  const announced = new Set<Phase>();
  await settleAll(
    runs.map(async (run) => {
      for (const phase of PHASES) {
        if (phase.id === "verify") continue;
        const steps = run.plan.steps.filter((s) => s.phase === phase.id);
        if (steps.length > 0 && "waits" in phase && phase.waits === "registry" && run !== registryRun) {
          // Waited for outside the parallel limit: the registry host may need that slot.
          if (!(await seeded) && !run.failed && !run.blocked && !options.signal?.aborted) {
            run.blocked = true;
            options.emit({
              type: "note",
              host: run.plan.host,
              message: `${lab.registry!.host} did not push the lab's images: its pulls and what follows are skipped`,
            });
          }
        }
        if (steps.length > 0)
          await limit(async () => {
            if (!announced.has(phase.id) && !run.failed && !run.blocked && !options.signal?.aborted) {
              announced.add(phase.id);
              options.emit({ type: "phase", phase: phase.id, title: phase.title });
            }
            for (const step of steps) await stepOf(lab, run, step, options, record);
          });
        if (run === registryRun && phase.id === "seed") seededNow(!run.failed && !options.signal?.aborted);
      }
      if (run === registryRun) seededNow(!run.failed && !options.signal?.aborted);
    }),
  );
  return { outcomes, failed: runs.some((r) => r.failed), interrupted: !!options.signal?.aborted, viewErrors };
}

/**
 * Every host's probe, or one error naming every host whose probe failed (busy, a collision,
 * no answer): nothing has changed anywhere yet, and the user sees all of it at once.
 */
async function everyHostOrAll<T>(work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as Error] : []));
  if (failures.length === 1) throw failures[0]!;
  if (failures.length > 1) {
    const bug = failures.find((f) => !(f instanceof LabError));
    if (bug) throw bug;
    const first = failures[0] as LabError;
    throw new LabError(failures.map((f) => (f as LabError).located).join("\n"), first.code);
  }
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** One step of one host: skipped once its host failed or stopped; failed on a conflict; ok when in place; else run. */
async function stepOf(lab: Lab, run: HostRun, step: Step, options: ApplyOptions, record: RecordOutcome): Promise<void> {
  if (run.failed || run.blocked || options.signal?.aborted) return record(run.plan.host, step, "skipped");
  const conflict = run.conflicts.get(step);
  if (conflict) {
    run.failed = true;
    return record(run.plan.host, step, "failed", { message: conflict });
  }
  if (!run.needed.get(step)) return record(run.plan.host, step, "ok");
  await runStep(lab, run, step, options, record);
}

/** The Docker API answers the probe's command goes on to give (src/apply/docker-state.ts). */
async function dockerStateAfterProbe(
  host: string,
  steps: Step[],
  stream: Duplex | undefined,
  timeoutMs: number,
): Promise<DockerState | undefined> {
  const queries = dockerQueries(steps);
  if (queries.length === 0) return undefined;
  try {
    if (!stream) throw new Error("the probe gave no Docker API stream");
    return await readDockerState(host, stream, askFor(queries), timeoutMs);
  } catch (err) {
    throw new LabError(
      `cannot read Docker's state (${(err as Error).message}; is dockerd running?); nothing was changed here`,
      "probe",
      host,
      "probe",
    );
  }
}

async function runStep(
  lab: Lab,
  run: HostRun,
  step: Step,
  options: ApplyOptions,
  record: RecordOutcome,
): Promise<void> {
  const host = run.plan.host;
  options.emit({ type: "step-start", host, step });
  let done = 0;
  let error: StepError | undefined;
  try {
    for (const action of step.actions) {
      await performAction(
        {
          transport: run.transport,
          lab: lab.name,
          labFile: lab.file,
          timeoutMs: options.commandTimeoutMs,
          onCommand: (command, result) => options.emit({ type: "command", host, command, result }),
          onOutput: (chunk, stream) => options.emit({ type: "output", host, chunk, stream }),
        },
        action,
      );
      done++;
    }
  } catch (err) {
    error =
      err instanceof ActionError ? { command: err.command, message: err.message } : { message: (err as Error).message };
    // A command cut off (its connection lost, its deadline passed) may have taken effect.
    if (outcomeUnknown(err)) done++;
  }
  // Recorded once any action took effect (or may have), so `lab down` can undo a half-done
  // step too; every undo record is safe where its object was never made.
  if (done > 0 && !run.state.changed.some((c) => c.id === step.id)) {
    run.state.changed.push({ id: step.id, title: step.title, undo: step.undo, at: new Date().toISOString() });
    try {
      run.onHost.text = await writeState(run.transport, run.state);
    } catch (err) {
      // Without its record `lab down` could not undo the change: take it back now (the host
      // stays as it was), stop this host and say so.
      run.state.changed = run.state.changed.filter((c) => c.id !== step.id);
      const undone = await undoNow(run.transport, lab.name, lab.file, step, options.commandTimeoutMs);
      error ??= { message: `the record for lab down could not be written (${(err as Error).message}); ${undone}` };
    }
  }
  if (error) run.failed = true;
  record(host, step, error ? "failed" : "changed", error);
}

function outcomeUnknown(err: unknown): boolean {
  return (
    (err instanceof ActionError && err.result.timedOut) || (err instanceof LabError && err.code === "connection-lost")
  );
}

/** Undo one step at once (its record could not be kept); says how that went. */
async function undoNow(
  transport: Transport,
  labName: string,
  labFile: string,
  step: Step,
  timeoutMs: number,
): Promise<string> {
  try {
    for (const undo of step.undo)
      for (const action of undoActions(undo))
        await performAction({ transport, lab: labName, labFile, timeoutMs }, action);
    return "the change was undone again, so the host is as it was";
  } catch (err) {
    return `undoing the change failed too (${(err as Error).message}): undo it by hand`;
  }
}
