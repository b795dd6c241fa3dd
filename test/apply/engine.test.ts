import { describe, expect, it } from "vitest";
import { LabError } from "../../src/errors.js";
import { applyPlan } from "../../src/apply/engine.js";
import { type Emit } from "../../src/apply/events.js";
import { type HostState } from "../../src/apply/state.js";
import { PHASES, type Plan } from "../../src/plan/types.js";
import { validateText } from "../../src/labfile/validate.js";
import type { Transport } from "../../src/transport/types.js";
import { FakeTransport } from "../helpers/fake-transport.js";
import {
  lab,
  STATE,
  sleep,
  step,
  planFor,
  hostPlan,
  probeOutput,
  PROBE,
  hostFake,
  recorder,
  apply,
  statusOf,
  lastState,
  stateWrites,
} from "./engine-fixtures.js";

/**
 * The apply engine (lab up), driven through fake transports: ordering, stopping, state
 * bookkeeping and fault handling. Nothing here says anything about SSH itself.
 */
describe("applyPlan", () => {
  it("steps whose check passes are ok and run nothing: one probe command per host", async () => {
    const plan = planFor(["a", "b"]);
    const fakes = plan.hosts.map((h) => hostFake(h, { passing: h.steps.map((s) => s.id) }));
    const { result, rec } = await apply(plan, fakes);
    expect(result.failed).toBe(false);
    expect(result.interrupted).toBe(false);
    expect(statusOf(result)).toEqual({
      "a-k1": "ok",
      "a-i1": "ok",
      "a-i2": "ok",
      "a-n1": "ok",
      "b-k1": "ok",
      "b-i1": "ok",
      "b-i2": "ok",
      "b-n1": "ok",
    });
    for (const f of fakes) {
      expect(f.commands).toHaveLength(1);
      expect(f.commands[0]).toMatch(PROBE);
      expect(f.calls[0]!.timeoutMs).toBe(5000);
      expect(f.writes).toEqual([]);
    }
    expect(rec.starts).toEqual([]);
  });

  it("runs only the steps whose check fails, in plan order, each action once", async () => {
    const plan = planFor(["a"]);
    const fake = hostFake(plan.hosts[0]!, { passing: ["a-k1", "a-i2"] });
    const { result } = await apply(plan, [fake]);
    expect(statusOf(result)).toEqual({ "a-k1": "ok", "a-i1": "changed", "a-i2": "ok", "a-n1": "changed" });
    expect(fake.commands.slice(1)).toEqual(["do a-i1", "do a-n1"]);
  });

  it("hosts go at their own pace: a fast host runs its later phases while a slow one is still in an earlier one", async () => {
    const plan = planFor(["a", "b", "c"]);
    const log: string[] = [];
    const fakes = plan.hosts.map((h) =>
      hostFake(h).on(/^do /, async (command) => {
        log.push(`start ${command.slice(3)}`);
        await sleep(h.host === "a" ? 40 : h.host === "b" ? 15 : 0);
        log.push(`end ${command.slice(3)}`);
        return {};
      }),
    );
    const { result, rec } = await apply(plan, fakes);
    expect(result.failed).toBe(false);
    // c is through all its phases before slow a has finished its first step.
    expect(log.indexOf("end c-n1")).toBeLessThan(log.indexOf("end a-k1"));
    // Each host keeps its own order.
    for (const h of ["a", "b", "c"])
      expect(log.filter((l) => l.startsWith(`end ${h}-`))).toEqual(
        ["k1", "i1", "i2", "n1"].map((id) => `end ${h}-${id}`),
      );
    // Each phase is announced once, when the first host enters it.
    expect(rec.phases).toEqual(["kernel", "interfaces", "namespaces"]);
  });

  it("a failing host stops at its failing step; the others, which need nothing of it, go on to the end", async () => {
    const plan = planFor(["a", "b", "c"]);
    const slow = async () => {
      await sleep(20);
      return {};
    };
    const fakes = [
      hostFake(plan.hosts[0]!).on(/^do /, slow),
      hostFake(plan.hosts[1]!).failOn(/^do b-i1$/, { code: 2, stderr: "RTNETLINK answers: File exists\n" }),
      hostFake(plan.hosts[2]!).on(/^do /, slow),
    ];
    const { result, rec } = await apply(plan, fakes);
    expect(result.failed).toBe(true);
    expect(result.interrupted).toBe(false);
    expect(statusOf(result)).toEqual({
      "a-k1": "changed",
      "a-i1": "changed",
      "a-i2": "changed",
      "a-n1": "changed",
      "b-k1": "changed",
      "b-i1": "failed",
      "b-i2": "skipped",
      "b-n1": "skipped",
      "c-k1": "changed",
      "c-i1": "changed",
      "c-i2": "changed",
      "c-n1": "changed",
    });
    const failed = result.outcomes.find((o) => o.status === "failed")!;
    expect(failed.host).toBe("b");
    expect(failed.error).toEqual({ command: "do b-i1", message: "exit 2: RTNETLINK answers: File exists" });
    expect(rec.steps.find((s) => s.id === "b-i1")!.detail).toBe("do b-i1: exit 2: RTNETLINK answers: File exists");
    // a and c kept going after b failed (b fails fast, they are slow).
    expect(rec.seq.indexOf("failed b-i1")).toBeLessThan(rec.seq.indexOf("changed a-i2"));
    const ran = fakes.flatMap((f) => f.commands);
    expect(ran).not.toContain("do b-i2");
    expect(ran).not.toContain("do b-n1");
  });

  it("a command that throws (connection lost) fails that step with the error's message", async () => {
    const plan = planFor(["a", "b"]);
    const fakes = [hostFake(plan.hosts[0]!).throwOn(/^do a-k1$/, new Error("Socket closed")), hostFake(plan.hosts[1]!)];
    const { result } = await apply(plan, fakes);
    const a = result.outcomes.find((o) => o.step.id === "a-k1")!;
    expect(a.status).toBe("failed");
    expect(a.error).toEqual({ message: "Socket closed" });
    expect(statusOf(result)["b-k1"]).toBe("changed");
    // b needs nothing of a: it goes on.
    expect(statusOf(result)["b-i1"]).toBe("changed");
    expect(statusOf(result)["a-i1"]).toBe("skipped");
  });

  it("a view that throws (the live tree, issue 14) neither stops the run nor cuts other hosts short; the error is reported", async () => {
    const plan = planFor(["a", "b"]);
    const fakes = plan.hosts.map((h) => hostFake(h).on(/^do /, async () => (await sleep(5), {})));
    const { emit, rec } = recorder();
    let calls = 0;
    const throwing: Emit = (event) => {
      emit(event);
      // Like listr2 on a finished task: throws from the second step a host starts.
      if (event.type === "step-start" && ++calls > 1) {
        throw new TypeError("Cannot read properties of undefined (reading 'write')");
      }
    };
    const result = await applyPlan(lab, plan, new Map<string, Transport>(fakes.map((f) => [f.host, f])), {
      parallel: 10,
      emit: throwing,
      commandTimeoutMs: 5000,
    });
    expect(result.failed).toBe(false);
    expect(Object.values(statusOf(result))).toEqual(Array(8).fill("changed"));
    expect(rec.starts).toHaveLength(8);
    expect(result.viewErrors).toEqual(["step-start: Cannot read properties of undefined (reading 'write')"]);
  });

  it("an unexpected error on one host is raised only after every other host's running step has ended", async () => {
    const plan = planFor(["a", "b"]);
    let bEnded = false;
    const fakes = [
      // a's probe answers garbage: the engine cannot read its state and throws at once.
      new FakeTransport("a").on(PROBE, { stdout: "not a probe answer" }),
      new FakeTransport("b").on(PROBE, async () => {
        await sleep(50);
        bEnded = true;
        return { stdout: probeOutput(plan.hosts[1]!.steps, new Set()) };
      }),
    ];
    await expect(apply(plan, fakes)).rejects.toThrow(/cannot read the host's current state/);
    // The caller closes every connection after this: b's command must not be running then.
    expect(bEnded).toBe(true);
  });

  it("takes each host's lock in the probe's own command and releases it when the run ends, also after a failure", async () => {
    const plan = planFor(["a", "b"]);
    const fakes = [hostFake(plan.hosts[0]!), hostFake(plan.hosts[1]!).failOn(/^do b-i1$/)];
    const { result } = await apply(plan, fakes, { holder: "lab eng (up) from test, pid 1" });
    expect(result.failed).toBe(true);
    for (const f of fakes) {
      expect(f.commands[0]).toMatch(
        /^mkdir -p \/var\/lib\/lab && chmod 700 \/var\/lib\/lab \|\| exit 1\nexec 9>>\/var\/lib\/lab\/lock\nif ! flock -n 9; then/,
      );
      expect(f.commands[0]).toContain("printf '%s\\n' 'lab eng (up) from test, pid 1' > /var/lib/lab/lock.holder");
      expect(f.commands[0]).toContain("\ncat >/dev/null\n");
      expect(f.released).toEqual([f.commands[0]]);
    }
  });

  it("a host whose lock another run holds stops the run before any change, naming the holder; the other locks are released", async () => {
    const plan = planFor(["a", "b"]);
    const busy = new FakeTransport("b").on(PROBE, {
      code: 75,
      stdout: "--busy\nlab other (down) from laptop, pid 4242, since 2026-01-01T00:00:00Z\u001b[2J\n",
    });
    const free = hostFake(plan.hosts[0]!);
    await expect(apply(plan, [free, busy])).rejects.toMatchObject({
      host: "b",
      exitCode: 3,
      message:
        "busy: lab other (down) from laptop, pid 4242, since 2026-01-01T00:00:00Z [2J is working on this host; nothing was changed here. Run again once it has ended",
    });
    expect(free.commands).toHaveLength(1);
    expect(free.released).toHaveLength(1);
  });

  it("writes the state after each step that completed an action, keeping what was recorded before", async () => {
    const plan = planFor(["a"]);
    const before: HostState = {
      lab: "eng",
      id: "eng-lab-1",
      version: 3,
      updatedAt: "2024-01-01T00:00:00.000Z",
      changed: [
        {
          id: "old-step",
          title: "from an earlier run",
          undo: [{ kind: "delete-netns", netns: "old" }],
          at: "2024-01-01T00:00:00.000Z",
        },
      ],
    };
    const fake = hostFake(plan.hosts[0]!, { passing: ["a-i2"], state: before });
    const { result } = await apply(plan, [fake]);
    expect(result.failed).toBe(false);
    // k1, i1, n1 changed → three writes, each after its step's command
    expect(fake.calls.map((c) => (c.kind === "writeFile" ? `write ${c.command}` : c.command)).slice(1)).toEqual([
      "do a-k1",
      `write ${STATE}`,
      "do a-i1",
      `write ${STATE}`,
      "do a-n1",
      `write ${STATE}`,
    ]);
    expect(stateWrites(fake).every((w) => w.mode === "0600")).toBe(true);
    const state = lastState(fake);
    expect(state.lab).toBe("eng");
    expect(state.version).toBe(3);
    expect(state.id).toBe("eng-lab-1");
    expect(state.changed.map((c) => c.id)).toEqual(["old-step", "a-k1", "a-i1", "a-n1"]);
    expect(state.changed[1]).toMatchObject({
      id: "a-k1",
      title: "step a-k1",
      undo: [{ kind: "promisc-off", dev: "a-k1" }],
    });
    expect(Number.isNaN(Date.parse(state.changed[1]!.at))).toBe(false);
  });

  it("a step whose command was cut off (connection lost, deadline passed) is recorded: it may have taken effect, and lab down must know", async () => {
    const plan = planFor(["a", "b"]);
    const fakes = [
      hostFake(plan.hosts[0]!).throwOn(
        /^do a-k1$/,
        new LabError(
          "connection lost while the command ran (reset); whether it took effect is unknown",
          "connection-lost",
          "a",
        ),
      ),
      hostFake(plan.hosts[1]!).failOn(/^do b-k1$/, { code: null, timedOut: true }),
    ];
    const { result } = await apply(plan, fakes);
    expect(result.failed).toBe(true);
    expect(statusOf(result)).toMatchObject({ "a-k1": "failed", "b-k1": "failed" });
    for (const [fake, id] of [
      [fakes[0]!, "a-k1"],
      [fakes[1]!, "b-k1"],
    ] as const) {
      expect(lastState(fake).changed.map((c) => c.id)).toEqual([id]);
    }
  });

  it("a step already recorded is not recorded twice", async () => {
    const plan = planFor(["a"]);
    const recorded: HostState = {
      lab: "eng",
      id: "eng-lab-1",
      version: 3,
      updatedAt: "x",
      changed: [{ id: "a-k1", title: "step a-k1", undo: [{ kind: "promisc-off", dev: "a-k1" }], at: "then" }],
    };
    const fake = hostFake(plan.hosts[0]!, { passing: ["a-i1", "a-i2", "a-n1"], state: recorded });
    const { result } = await apply(plan, [fake]);
    expect(statusOf(result)["a-k1"]).toBe("changed");
    expect(fake.commands).toContain("do a-k1");
    expect(stateWrites(fake)).toEqual([]);
  });

  it("no state is written for a step whose first action failed; a half-done step is recorded", async () => {
    const plan = planFor(["a", "b"]);
    // a: k1's only action fails → nothing took effect → no state write
    // b: k1 has two actions, the second fails → the first took effect → recorded
    plan.hosts[1]!.steps[0] = step("b", "k1", "kernel", [{ kind: "run", command: "second b-k1" }]);
    const fakes = [hostFake(plan.hosts[0]!).failOn(/^do a-k1$/), hostFake(plan.hosts[1]!).failOn(/^second b-k1$/)];
    const { result } = await apply(plan, fakes);
    expect(statusOf(result)["a-k1"]).toBe("failed");
    expect(statusOf(result)["b-k1"]).toBe("failed");
    expect(stateWrites(fakes[0]!)).toEqual([]);
    expect(stateWrites(fakes[1]!)).toHaveLength(1);
    expect(lastState(fakes[1]!).changed.map((c) => c.id)).toEqual(["b-k1"]);
  });

  it("an aborted signal skips the remaining steps and reports interrupted", async () => {
    const plan = planFor(["a", "b"]);
    const controller = new AbortController();
    const fakes = [
      hostFake(plan.hosts[0]!).on(/^do a-i1$/, () => {
        controller.abort();
        return {};
      }),
      hostFake(plan.hosts[1]!),
    ];
    // parallel 1: hosts take turns within a phase, so the order is fixed
    const { result, rec } = await apply(plan, fakes, { parallel: 1, signal: controller.signal });
    expect(result.interrupted).toBe(true);
    expect(result.failed).toBe(false);
    expect(statusOf(result)).toEqual({
      "a-k1": "changed",
      "b-k1": "changed",
      "a-i1": "changed", // the running action finishes
      "a-i2": "skipped",
      "b-i1": "skipped",
      "b-i2": "skipped",
      "a-n1": "skipped",
      "b-n1": "skipped",
    });
    expect(fakes[0]!.commands.slice(1)).toEqual(["do a-k1", "do a-i1"]);
    expect(fakes[1]!.commands.slice(1)).toEqual(["do b-k1"]);
    // what did happen is still recorded
    expect(lastState(fakes[0]!).changed.map((c) => c.id)).toEqual(["a-k1", "a-i1"]);
    expect(rec.phases).toEqual(["kernel", "interfaces"]);
  });

  it("a signal aborted before the start runs nothing but the probe", async () => {
    const plan = planFor(["a"]);
    const fake = hostFake(plan.hosts[0]!);
    const { result } = await apply(plan, [fake], { signal: AbortSignal.abort() });
    expect(result.interrupted).toBe(true);
    expect(new Set(result.outcomes.map((o) => o.status))).toEqual(new Set(["skipped"]));
    expect(fake.commands).toHaveLength(1);
  });

  it("emits exactly one step event per non-verify step, matching the outcomes, and command events for what ran", async () => {
    const plan = planFor(["a", "b", "c"]);
    const fakes = [
      hostFake(plan.hosts[0]!, { passing: ["a-k1"] }),
      hostFake(plan.hosts[1]!).failOn(/^do b-i2$/),
      hostFake(plan.hosts[2]!),
    ];
    const { result, rec } = await apply(plan, fakes);
    const nonVerify = plan.hosts.flatMap((h) => h.steps.filter((s) => s.phase !== "verify").map((s) => s.id));
    expect(rec.steps.map((s) => s.id).sort()).toEqual([...nonVerify].sort());
    expect(rec.steps.map((s) => [s.id, s.status])).toEqual(result.outcomes.map((o) => [o.step.id, o.status]));
    expect(rec.steps.every((s) => s.host === s.id[0])).toBe(true);
    // verify steps are not the engine's: no outcome, no event
    expect(result.outcomes.some((o) => o.step.phase === "verify")).toBe(false);
    // stepStart exactly for the steps that ran
    expect(rec.starts.sort()).toEqual(
      result.outcomes
        .filter((o) => o.status === "changed" || o.status === "failed")
        .map((o) => o.step.id)
        .sort(),
    );
    expect(rec.commands).toContain("b: do b-i2");
    expect(rec.commands).not.toContain("a: do a-k1");
    expect(
      rec.phases.every(
        (p, i) => i === 0 || PHASES.findIndex((x) => x.id === p) > PHASES.findIndex((x) => x.id === rec.phases[i - 1]),
      ),
    ).toBe(true);
  });

  it("another lab with the same name (another id) on a host: lab up changes nothing on any host and says whose state it is", async () => {
    const plan = planFor(["a", "b"]);
    const theirs: HostState = {
      lab: "eng",
      id: "someone-elses",
      version: 3,
      updatedAt: "x",
      changed: [{ id: "their-step", title: "theirs", undo: [{ kind: "delete-netns", netns: "theirs" }], at: "then" }],
    };
    const fakes = [hostFake(plan.hosts[0]!), hostFake(plan.hosts[1]!, { state: theirs })];
    await expect(apply(plan, fakes)).rejects.toMatchObject({
      host: "b",
      exitCode: 1,
      message:
        "another lab named eng is on this host (id someone-elses; this lab file has id eng-lab-1); nothing was run on this host. Take that lab down with its own lab file, or give this lab another name",
    });
    for (const f of fakes) {
      expect(f.commands).toHaveLength(1);
      expect(stateWrites(f)).toEqual([]);
    }
  });

  // Regression: a probe cut short after printing the state (a check hanging on a stuck
  // dockerd) once started the run from an empty state, and the first change overwrote every
  // record of earlier runs.
  it("a probe cut short after the state stops the run before any change, so the recorded state is never lost", async () => {
    const plan = planFor(["a"]);
    const before: HostState = {
      lab: "eng",
      id: "eng-lab-1",
      version: 3,
      updatedAt: "x",
      changed: [{ id: "old-step", title: "earlier", undo: [{ kind: "delete-netns", netns: "old" }], at: "then" }],
    };
    const fake = new FakeTransport("a").on(PROBE, {
      code: null,
      timedOut: true,
      stdout: `--state\n${JSON.stringify(before)}\n`,
    });
    await expect(apply(plan, [fake])).rejects.toThrow(
      /cannot read the host's current state \(timed out\); nothing was changed here/,
    );
    expect(stateWrites(fake)).toEqual([]);
    expect(fake.commands).toHaveLength(1);
  });

  // Regression: a failing state write once rejected the whole run while the other hosts'
  // steps kept running unobserved.
  it("a failing state write (a full disk) fails that host, not the whole run, and takes the unrecorded change back at once", async () => {
    const plan = planFor(["a", "b"]);
    const fakes = [
      hostFake(plan.hosts[0]!).failWrite(
        /^\/var\/lib\/lab\//,
        new Error("cannot write /var/lib/lab/eng.json: No space left on device"),
      ),
      hostFake(plan.hosts[1]!),
    ];
    const { result } = await apply(plan, fakes);
    expect(result.failed).toBe(true);
    expect(statusOf(result)["b-k1"]).toBe("changed");
    const failed = result.outcomes.find((o) => o.status === "failed")!;
    expect(failed.error!.message).toBe(
      "the record for lab down could not be written (cannot write /var/lib/lab/eng.json: No space left on device); the change was undone again, so the host is as it was",
    );
    // The change, then its undo: nothing the lab did stays on a host without a record.
    expect(fakes[0]!.commands.slice(1)).toEqual(["do a-k1", "ip link set a-k1 promisc off"]);
  });
});

/**
 * The one cross-host wait: hosts pull (distribute) what the registry host pushed (seed). A lab
 * with a registry on a; every host: kernel, interfaces, then a's seed, b's and c's pulls,
 * then containers.
 */
describe("applyPlan: waiting only where a host needs another's result", () => {
  const registryLab = (() => {
    const r = validateText(
      "/labs/eng/lab.yaml",
      "name: eng\nid: eng-lab-1\nhosts:\n  a: { address: 10.0.0.1 }\n  b: { address: 10.0.0.2 }\n  c: { address: 10.0.0.3 }\nregistry: { host: a, images: [busybox:latest] }\n",
    );
    if (!r.lab) throw new Error("test lab invalid");
    return r.lab;
  })();
  const registryPlan = (): Plan => ({
    lab: "eng",
    file: registryLab.file,
    hosts: ["a", "b", "c"].map((host) => ({
      ...hostPlan(host),
      steps: [
        step(host, "k1", "kernel"),
        step(host, "i1", "interfaces"),
        ...(host === "a" ? [step(host, "push", "seed")] : [step(host, "pull", "distribute")]),
        step(host, "run", "containers"),
      ],
    })),
  });
  const run = async (plan: Plan, fakes: FakeTransport[]) => {
    const { emit, rec } = recorder();
    const transports = new Map<string, Transport>(fakes.map((f) => [f.host, f]));
    const result = await applyPlan(registryLab, plan, transports, { parallel: 10, emit, commandTimeoutMs: 5000 });
    return { result, rec };
  };

  it("a host's pull starts only once the registry host has pushed; everything before it does not wait", async () => {
    const plan = registryPlan();
    const fakes = plan.hosts.map((h) =>
      hostFake(h).on(/^do /, async (command) => {
        await sleep(command === "do a-push" ? 60 : 1);
        return {};
      }),
    );
    const { result, rec } = await run(plan, fakes);
    expect(result.failed).toBe(false);
    const at = (event: string) => rec.seq.indexOf(event);
    for (const h of ["b", "c"]) {
      // Its own earlier work ran while a was still pushing ...
      expect(at(`changed ${h}-i1`)).toBeLessThan(at("changed a-push"));
      // ... its pull waited for the push, and its containers for its pull.
      expect(at(`start ${h}-pull`)).toBeGreaterThan(at("changed a-push"));
      expect(at(`start ${h}-run`)).toBeGreaterThan(at(`changed ${h}-pull`));
    }
  });

  it("with fewer slots than hosts (--parallel 1) a waiting host never holds the slot the registry host needs", async () => {
    const plan = registryPlan();
    // b and c first in line: had they kept their slot while waiting, a could never push.
    const order = [plan.hosts[1]!, plan.hosts[2]!, plan.hosts[0]!];
    const { emit, rec } = recorder();
    const fakes = order.map((h) => hostFake(h));
    const transports = new Map<string, Transport>(fakes.map((f) => [f.host, f]));
    const result = await applyPlan(registryLab, { ...plan, hosts: order }, transports, {
      parallel: 1,
      emit,
      commandTimeoutMs: 5000,
    });
    expect(result.failed).toBe(false);
    expect(rec.seq.indexOf("start b-pull")).toBeGreaterThan(rec.seq.indexOf("changed a-push"));
  });

  it("a registry host that fails before pushing stops only what needs its images: the others' pulls and what follows", async () => {
    const plan = registryPlan();
    const fakes = [
      hostFake(plan.hosts[0]!).failOn(/^do a-i1$/, { code: 1, stderr: "no\n" }),
      hostFake(plan.hosts[1]!),
      hostFake(plan.hosts[2]!),
    ];
    const { result, rec } = await run(plan, fakes);
    expect(result.failed).toBe(true);
    expect(statusOf(result)).toEqual({
      "a-k1": "changed",
      "a-i1": "failed",
      "a-push": "skipped",
      "a-run": "skipped",
      "b-k1": "changed",
      "b-i1": "changed",
      "b-pull": "skipped",
      "b-run": "skipped",
      "c-k1": "changed",
      "c-i1": "changed",
      "c-pull": "skipped",
      "c-run": "skipped",
    });
    expect(rec.notes).toEqual([
      "b: a did not push the lab's images: its pulls and what follows are skipped",
      "c: a did not push the lab's images: its pulls and what follows are skipped",
    ]);
  });

  it("the remote commands per host do not grow with the number of hosts", async () => {
    const counts: number[] = [];
    for (const n of [2, 8]) {
      const plan = planFor(Array.from({ length: n }, (_, i) => `h${i}`));
      const fakes = plan.hosts.map((h) => hostFake(h));
      await apply(plan, fakes);
      counts.push(...fakes.map((f) => f.commands.length));
    }
    expect(new Set(counts)).toEqual(new Set([5]));
  });
});
