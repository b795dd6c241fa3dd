import { Listr, type ListrTaskWrapper } from "listr2";
import type { ApplyEvents, StepStatus } from "../apply/events.js";
import { PHASES, type Plan, type Step } from "../plan/types.js";

interface Deferred {
  resolve(result: { status: StepStatus; detail?: string }): void;
  promise: Promise<{ status: StepStatus; detail?: string }>;
}

function deferred(): Deferred {
  let resolve!: Deferred["resolve"];
  const promise = new Promise<{ status: StepStatus; detail?: string }>((r) => (resolve = r));
  return { resolve, promise };
}

/**
 * A listr2 tree on a terminal: host → phase → step, with the running command's output.
 * The engine drives everything; each task only waits for the engine's event about its step,
 * so the view never decides what runs.
 */
export function ttyEvents(plan: Plan): { events: ApplyEvents; done: Promise<void>; finish(): void; counts: Map<string, Record<StepStatus, number>> } {
  const pending = new Map<string, Deferred>();
  const key = (host: string, step: Step) => `${host}\u0000${step.id}`;
  const wrappers = new Map<string, ListrTaskWrapper<unknown, never, never>>();
  const counts = new Map<string, Record<StepStatus, number>>();

  for (const host of plan.hosts) for (const step of host.steps) if (step.phase !== "verify") pending.set(key(host.host, step), deferred());

  const stepTask = (host: string, step: Step) => ({
    title: step.title,
    task: async (_: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
      wrappers.set(host, task);
      const { status, detail } = await pending.get(key(host, step))!.promise;
      if (status === "skipped") return task.skip(`${step.title} (skipped)`);
      if (status === "failed") throw new Error(`${step.title}: ${detail ?? "failed"}`);
      task.title = `${step.title}${status === "changed" ? " — changed" : ""}`;
    },
  });

  const list = new Listr(
    plan.hosts.map((host) => ({
      title: `${host.host} (${host.address})`,
      task: (_: unknown, task: ListrTaskWrapper<unknown, never, never>) =>
        task.newListr(
          PHASES.filter((p) => p.id !== "verify" && host.steps.some((s) => s.phase === p.id)).map((phase) => ({
            title: phase.title,
            task: (_c: unknown, phaseTask: ListrTaskWrapper<unknown, never, never>) =>
              phaseTask.newListr(host.steps.filter((s) => s.phase === phase.id).map((s) => stepTask(host.host, s)), { concurrent: false, exitOnError: true }),
          })),
          { concurrent: false, exitOnError: true },
        ),
    })),
    { concurrent: true, exitOnError: false },
  );
  const done = list.run().then(
    () => undefined,
    () => undefined,
  );

  const events: ApplyEvents = {
    phase() {},
    stepStart(host, step) {
      const w = wrappers.get(host);
      if (w) w.output = step.actions.map((a) => (a.kind === "run" ? a.command : `${a.kind} ${"path" in a ? a.path : ""}`)).join("\n");
    },
    step(host, step, status, detail) {
      const c = counts.get(host) ?? { ok: 0, changed: 0, failed: 0, skipped: 0 };
      c[status]++;
      counts.set(host, c);
      pending.get(key(host, step))?.resolve({ status, detail });
    },
    output(host, chunk) {
      const w = wrappers.get(host);
      if (w) w.output = chunk.trimEnd();
    },
    note() {},
  };
  // Steps the engine never reached (a failure elsewhere) are shown as skipped.
  const finish = () => pending.forEach((d) => d.resolve({ status: "skipped" }));
  return { events, done, finish, counts };
}
