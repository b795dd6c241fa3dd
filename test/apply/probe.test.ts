import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseProbe, probeScript } from "../../src/apply/probe.js";
import type { Step } from "../../src/plan/types.js";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

const step = (id: string, over: Partial<Step> = {}): Step => ({
  id,
  phase: "interfaces",
  title: id,
  actions: [],
  undo: [],
  ...over,
});
const write = (path: string, content: string) => ({ kind: "write" as const, path, content, mode: "0644" });
const run = (command: string) => ({ kind: "run" as const, command });

/** Probe output as the script prints it. */
const output = (state: string, lines: string[]) => `--state\n${state}\n--checks\n${lines.join("\n")}\n`;

describe("parseProbe", () => {
  const steps: Step[] = [
    step("file-same", { actions: [write("/etc/a.conf", "A\n")] }),
    step("file-differs", { actions: [write("/etc/b.conf", "B\n")] }),
    step("file-missing", { actions: [write("/etc/c.conf", "C\n")] }),
    step("check-passes", { check: "true", actions: [run("x")] }),
    step("check-fails", { check: "false", actions: [run("x")] }),
    step("check-no-result", { check: "true", actions: [run("x")] }),
    step("verify", { phase: "verify", check: "false", actions: [run("ping")] }),
    step("no-check", { actions: [run("always")] }),
  ];
  const out = output('{"lab":"t"}', [
    `file 0 0 ${sha("A\n")}`,
    `file 1 0 ${sha("B changed\n")}`,
    "file 2 0 ",
    "check 3 0",
    "check 4 1",
    // no line for step 5
    "check 6 1",
  ]);

  it("decides per step what must run", () => {
    const { needed } = parseProbe(steps, out);
    expect(Object.fromEntries(steps.map((s, i) => [s.id, needed[i]]))).toEqual({
      "file-same": false,
      "file-differs": true,
      "file-missing": true,
      "check-passes": false,
      "check-fails": true,
      "check-no-result": true,
      verify: false,
      "no-check": true,
    });
  });

  it("returns the state text between the markers", () => {
    const state = '{\n  "lab": "t",\n  "version": 1\n}';
    const { stateText } = parseProbe(steps, output(state, []));
    expect(stateText.trim()).toBe(state);
    expect(JSON.parse(stateText)).toEqual({ lab: "t", version: 1 });
  });

  it("gives empty state text when the state file was absent", () => {
    expect(parseProbe(steps, "--state\n\n--checks\ncheck 3 0\n").stateText.trim()).toBe("");
  });

  it("a step with several writes runs when any one file differs", () => {
    const two = [step("two", { actions: [write("/a", "1"), run("reload"), write("/b", "2")] })];
    expect(parseProbe(two, output("", [`file 0 0 ${sha("1")}`, `file 0 2 ${sha("2")}`])).needed).toEqual([false]);
    expect(parseProbe(two, output("", [`file 0 0 ${sha("1")}`, `file 0 2 ${sha("x")}`])).needed).toEqual([true]);
    // the digest is looked up by action index: a digest under the wrong index does not count
    expect(parseProbe(two, output("", [`file 0 0 ${sha("1")}`, `file 0 1 ${sha("2")}`])).needed).toEqual([true]);
  });

  it("a step with a check is decided by the check, not by its file digests", () => {
    const s = [step("both", { check: "c", actions: [write("/a", "1")] })];
    expect(parseProbe(s, output("", ["check 0 0", `file 0 0 ${sha("other")}`])).needed).toEqual([false]);
    expect(parseProbe(s, output("", ["check 0 1", `file 0 0 ${sha("1")}`])).needed).toEqual([true]);
  });

  it("with no output at all, every non-verify step is needed", () => {
    expect(parseProbe(steps, "").needed).toEqual([true, true, true, true, true, true, false, true]);
  });
});

describe("probeScript", () => {
  it("quotes the state path and every written path", () => {
    const script = probeScript([step("w", { actions: [write("/etc/it's here.conf", "x")] })], "/var/lib/lab/a b.json");
    expect(script).toContain(`if [ -e '/var/lib/lab/a b.json' ]; then cat '/var/lib/lab/a b.json' || exit 90; fi`);
    expect(script).toContain(`sha256sum < '/etc/it'\\''s here.conf'`);
  });

  it("is valid sh", () => {
    const script = probeScript(
      [step("c", { check: "[ -e /nonexistent ] && grep -q x /etc/hostname", actions: [write("/tmp/x", "y")] })],
      "/var/lib/lab/t.json",
    );
    expect(spawnSync("sh", ["-n", "-c", script]).status).toBe(0);
    // and sh -n does catch a broken script, so the line above can fail
    expect(spawnSync("sh", ["-n", "-c", `${script}\nif then`], { stdio: "ignore" }).status).not.toBe(0);
  });
});

/** The generated script, run for real with sh against a temp dir, its real output parsed. */
describe("probe script run with sh", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lab-probe-"));
    writeFileSync(join(dir, "present"), "needle\n");
    writeFileSync(join(dir, "same.conf"), "exact content é\n");
    writeFileSync(join(dir, "differs.conf"), "old content\n");
    writeFileSync(join(dir, "state.json"), '{"lab":"t","version":1,"changed":[]}'); // no trailing newline
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const stepsIn = (d: string): Step[] => [
    step("exists", { check: `[ -e ${d}/present ]`, actions: [run("x")] }),
    step("absent", { check: `[ -e ${d}/absent ]`, actions: [run("x")] }),
    step("pipeline", { check: `ls ${d} | grep -qF present`, actions: [run("x")] }),
    step("noisy-fail", { check: `echo noise; echo more >&2; grep -q nothere ${d}/present`, actions: [run("x")] }),
    step("same", { actions: [write(`${d}/same.conf`, "exact content é\n")] }),
    step("differs", { actions: [write(`${d}/differs.conf`, "new content\n")] }),
    step("missing", { actions: [write(`${d}/missing.conf`, "anything\n")] }),
    step("verify", { phase: "verify", check: `[ -e ${d}/absent ]`, actions: [run("ping")] }),
  ];

  const runScript = (script: string) => spawnSync("sh", ["-c", script], { encoding: "utf8", cwd: dir });

  it("prints the state and one line per check and written file, and parses to the right answer", () => {
    const steps = stepsIn(dir);
    const r = runScript(probeScript(steps, join(dir, "state.json")));
    expect(r.status).toBe(0);
    // Only the shell's own complaint about the missing file (`sha256sum < missing 2>/dev/null`
    // opens the input before stderr is redirected); nothing from the checks themselves.
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/missing\.conf/)]);
    // check output is silenced: only the probe's own lines
    expect(r.stdout).not.toContain("noise");
    expect(r.stdout.split("\n").filter((l) => /^(check|file) /.test(l))).toHaveLength(8);
    const probe = parseProbe(steps, r.stdout);
    expect(JSON.parse(probe.stateText)).toEqual({ lab: "t", version: 1, changed: [] });
    expect(Object.fromEntries(steps.map((s, i) => [s.id, probe.needed[i]]))).toEqual({
      exists: false,
      absent: true,
      pipeline: false,
      "noisy-fail": true,
      same: false,
      differs: true,
      missing: true,
      verify: false,
    });
  });

  it("with no state file, the state text is empty and the checks still run", () => {
    const steps = stepsIn(dir);
    const r = runScript(probeScript(steps, join(dir, "no-such-state.json")));
    expect(r.status).toBe(0);
    const probe = parseProbe(steps, r.stdout);
    expect(probe.stateText.trim()).toBe("");
    expect(probe.needed.slice(0, 2)).toEqual([false, true]);
  });
});
