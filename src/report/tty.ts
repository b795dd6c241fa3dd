import { Listr, type ListrTaskWrapper } from "listr2";
import type { Emit, StepStatus } from "../apply/events.js";
import { PHASES, type Plan, type Step } from "../plan/types.js";

type Wrapper = ListrTaskWrapper<unknown, never, never>;
type Result = { status: StepStatus; message?: string };

interface Deferred {
  resolve(result: Result): void;
  promise: Promise<Result>;
}

function deferred(): Deferred {
  let resolve!: Deferred["resolve"];
  const promise = new Promise<Result>((r) => (resolve = r));
  return { resolve, promise };
}

export interface TtyView {
  emit: Emit;
  /** Shown under every running step at once (the tree owns the screen while it runs). */
  notice(message: string): void;
  /** Resolve steps the engine never reached as skipped, and wait for the tree's last frame. */
  stop(): Promise<void>;
}

/**
 * A listr2 tree on a terminal: host → phase → step, with the running command's output.
 * The engine drives everything; each task only waits for the engine's event about its step,
 * so the view never decides what runs.
 *
 * Output goes to the task of the step it belongs to, and only while that task runs: the engine
 * starts a host's next step before listr2 has started its task, and a finished task has no
 * output buffer any more (writing to it threw inside the engine, which then closed every
 * connection while the other hosts were still working: issue 14).
 */
export function ttyView(plan: Plan): TtyView {
  const pending = new Map<string, Deferred>();
  const key = (host: string, step: Step) => `${host}\u0000${step.id}`;
  /** Tasks whose step is running now, by step key. */
  const running = new Map<string, Wrapper>();
  /** The latest text to show under each step, kept until its task starts. */
  const text = new Map<string, string>();
  /** The step each host is on, for output events (which name only the host). */
  const current = new Map<string, string>();
  let notice: string | undefined;

  for (const host of plan.hosts)
    for (const step of host.steps) if (step.phase !== "verify") pending.set(key(host.host, step), deferred());

  const render = (k: string) => {
    const w = running.get(k);
    if (!w) return;
    const shown = [notice, text.get(k)].filter((t) => t !== undefined && t !== "").join("\n");
    if (shown) w.output = shown;
  };
  const show = (k: string, value: string) => {
    text.set(k, value);
    render(k);
  };

  const stepTask = (host: string, step: Step) => ({
    title: step.title,
    task: async (_: unknown, task: Wrapper) => {
      const k = key(host, step);
      running.set(k, task);
      render(k);
      const { status, message } = await pending.get(k)!.promise;
      running.delete(k);
      if (status === "skipped") return task.skip(`${step.title} (skipped)`);
      // The host's answer first: the line is cut at the terminal's width (the command is in
      // the summary after the tree, and in the log).
      if (status === "failed") throw new Error(`${step.title}: ${message ?? "failed"}`);
      task.title = `${step.title}${status === "changed" ? " — changed" : ""}`;
    },
  });

  const list = new Listr<unknown, "default", "simple">(
    plan.hosts.map((host) => ({
      title: `${host.host} (${host.address})`,
      task: (_: unknown, task: Wrapper) =>
        task.newListr(
          PHASES.filter((p) => p.id !== "verify" && host.steps.some((s) => s.phase === p.id)).map((phase) => ({
            title: phase.title,
            task: (_c: unknown, phaseTask: Wrapper) =>
              phaseTask.newListr(
                host.steps.filter((s) => s.phase === phase.id).map((s) => stepTask(host.host, s)),
                { concurrent: false, exitOnError: true },
              ),
          })),
          { concurrent: false, exitOnError: true },
        ),
    })),
    {
      concurrent: true,
      exitOnError: false,
      // Ctrl-C belongs to the command (finish running commands, record, stop); listr2's own
      // handler would exit the process at once with 127.
      registerSignalListeners: false,
      // Every step stays on screen at the end: the tree is the record of what happened.
      rendererOptions: { collapseSubtasks: false },
    },
  );
  const done = list.run().then(
    () => undefined,
    () => undefined,
  );

  const emit: Emit = (event) => {
    switch (event.type) {
      case "step-start": {
        const k = key(event.host, event.step);
        current.set(event.host, k);
        const actions = event.step.actions.map((a) =>
          a.kind === "run" ? a.command : `${a.kind} ${"path" in a ? a.path : ""}`,
        );
        return show(k, actions.join("\n"));
      }
      case "step-end": {
        const k = key(event.host, event.step);
        if (current.get(event.host) === k) current.delete(event.host);
        const message = event.error?.message.replace(/\s+/g, " ").trim();
        return pending.get(k)?.resolve({ status: event.status, message });
      }
      case "output": {
        const k = current.get(event.host);
        if (k) show(k, event.chunk.trimEnd());
        return;
      }
      default:
        return;
    }
  };
  return {
    emit,
    notice(message) {
      notice = message;
      for (const k of running.keys()) render(k);
    },
    async stop() {
      // Steps the engine never reached (a failure elsewhere, Ctrl-C) are shown as skipped.
      pending.forEach((d) => d.resolve({ status: "skipped" }));
      await done;
    },
  };
}
