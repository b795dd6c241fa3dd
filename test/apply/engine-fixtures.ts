import { applyPlan, type ApplyOptions, type ApplyResult } from "../../src/apply/engine.js";
import { errorText, type Emit, type StepStatus } from "../../src/apply/events.js";
import { stateFile, type HostState } from "../../src/apply/state.js";
import { type Action, type HostPlan, type Phase, type Plan, type Step } from "../../src/plan/types.js";
import type { Lab } from "../../src/labfile/model.js";
import { validateText } from "../../src/labfile/validate.js";
import type { Transport } from "../../src/transport/types.js";
import { FakeTransport } from "../helpers/fake-transport.js";

/** Fake hosts and a recorder of events shared by engine.test.ts (lab up) and down.test.ts (lab down). */
export const lab: Lab = (() => {
  const r = validateText(
    "/labs/eng/lab.yaml",
    "name: eng\nid: eng-lab-1\nhosts:\n  a: { address: 10.0.0.1 }\n  b: { address: 10.0.0.2 }\n  c: { address: 10.0.0.3 }\n",
  );
  if (!r.lab) throw new Error("test lab invalid");
  return r.lab;
})();
export const STATE = stateFile("eng");

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Step `${host}-${id}`: check `chk <id>`, actions `do <id>` (and more when asked), undo `undo <id>`. */
export function step(host: string, id: string, phase: Phase, extra: Action[] = []): Step {
  const sid = `${host}-${id}`;
  return {
    id: sid,
    phase,
    title: `step ${sid}`,
    check: `chk ${sid}`,
    actions: [{ kind: "run", command: `do ${sid}` }, ...extra],
    undo: [{ kind: "promisc-off", dev: sid }],
  };
}

export function hostPlan(host: string): HostPlan {
  return {
    host,
    address: "10.0.0.1",
    facts: { os: "debian", detected: true },
    steps: [
      step(host, "k1", "kernel"),
      step(host, "i1", "interfaces"),
      step(host, "i2", "interfaces"),
      step(host, "n1", "namespaces"),
      { ...step(host, "v", "verify"), check: undefined },
    ],
  };
}

export const planFor = (hosts: string[]): Plan => ({ lab: "eng", file: lab.file, hosts: hosts.map(hostPlan) });

/** What the probe script would print for these steps: `passing` checks exit 0, the rest 1. */
export function probeOutput(steps: Step[], passing: Set<string>, state?: HostState): string {
  const checks = steps.map((s, i) => (s.check ? `check ${i} ${passing.has(s.id) ? 0 : 1}` : "")).filter(Boolean);
  return `--state\n${state ? JSON.stringify(state, null, 2) : ""}\n--checks\n${checks.join("\n")}${checks.length ? "\n" : ""}--end\n`;
}

export const PROBE = /^echo '--state'$/m;

/** A host whose probe answers from `passing`/`state`; every other command exits 0. */
export function hostFake(plan: HostPlan, opts: { passing?: string[]; state?: HostState } = {}): FakeTransport {
  return new FakeTransport(plan.host).on(PROBE, {
    stdout: probeOutput(plan.steps, new Set(opts.passing ?? []), opts.state),
  });
}

export interface Recorded {
  seq: string[];
  steps: { host: string; id: string; status: StepStatus; detail?: string }[];
  starts: string[];
  phases: Phase[];
  commands: string[];
  undos: { host: string; title: string; status: string; detail?: string }[];
  notes: string[];
}

export function recorder(): { emit: Emit; rec: Recorded } {
  const rec: Recorded = { seq: [], steps: [], starts: [], phases: [], commands: [], undos: [], notes: [] };
  const emit: Emit = (event) => {
    switch (event.type) {
      case "phase":
        rec.phases.push(event.phase);
        rec.seq.push(`phase ${event.phase}`);
        break;
      case "step-start":
        rec.starts.push(event.step.id);
        rec.seq.push(`start ${event.step.id}`);
        break;
      case "step-end":
        rec.steps.push({
          host: event.host,
          id: event.step.id,
          status: event.status,
          detail: event.error && errorText(event.error),
        });
        rec.seq.push(`${event.status} ${event.step.id}`);
        break;
      case "command":
        rec.commands.push(`${event.host}: ${event.command}`);
        break;
      case "undo":
        rec.undos.push({ host: event.host, title: event.title, status: event.status, detail: event.message });
        break;
      case "note":
        rec.notes.push(`${event.host}: ${event.message}`);
        break;
      case "output":
        break;
    }
  };
  return { emit, rec };
}

export async function apply(plan: Plan, fakes: FakeTransport[], over: Partial<ApplyOptions> = {}) {
  const { emit, rec } = recorder();
  const transports = new Map<string, Transport>(fakes.map((f) => [f.host, f]));
  const result = await applyPlan(lab, plan, transports, { parallel: 10, emit, commandTimeoutMs: 5000, ...over });
  return { result, rec };
}

export const statusOf = (result: ApplyResult) => Object.fromEntries(result.outcomes.map((o) => [o.step.id, o.status]));
export const lastState = (fake: FakeTransport): HostState =>
  JSON.parse(fake.writes.filter((w) => w.command === STATE).at(-1)!.stdin!) as HostState;
export const stateWrites = (fake: FakeTransport) => fake.writes.filter((w) => w.command === STATE);
