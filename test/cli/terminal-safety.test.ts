import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkJunit } from "../../src/report/check-view.js";
import { validateText } from "../../src/labfile/validate.js";
import { parseStatus } from "../../src/verify/status.js";
import type { ProbeResult } from "../../src/verify/run-probes.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/** Text from a lab file or a host never drives the operator's terminal, a parser or a CI report. */
const repo = resolve(import.meta.dirname, "..", "..");

describe("output a lab file or a host controls", () => {
  it("lab validate shows a lab file's control characters as \\u escapes, never sends them", () => {
    const dir = scratchDir("tty-safety");
    const file = join(dir, "lab.yaml");
    writeFileSync(file, 'name: t\nhosts:\n  docker01: { address: 10.0.0.1, os: "x\\e]0;PWNED\\a\\e[2Kall good" }\n');
    const r = spawnSync(join(repo, "node_modules/.bin/tsx"), [join(repo, "src/cli/main.ts"), "validate", file], {
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/[\u001b\u0007]/);
    expect(r.stderr).toContain("\\u001b]0;PWNED\\u0007");
  });

  it("a status line too short for its kind is passed over, not a crash", () => {
    const lab = validateText("/l.yaml", "name: t\nhosts:\n  docker01: { address: 10.0.0.1 }\n").lab!;
    expect(() => parseStatus(lab, "docker01", "if\nctr\nns x\nnet\nstate 2\n")).not.toThrow();
    expect(parseStatus(lab, "docker01", "if\nctr\nstate 2\n").recordedChanges).toBe(2);
  });

  it("JUnit stays well-formed XML whatever a host's ping printed", () => {
    const result = {
      probe: {
        from: "a",
        to: "b",
        toHost: "h",
        address: "10.0.0.2",
        expect: "reachable",
        reason: "r",
        command: "ping",
        explicit: false,
      },
      fromHost: "h",
      outcome: "error",
      reachable: false,
      asExpected: false,
      detail: "bad \u001b[31m\u0000\u0008 bytes & <tags>",
    } as ProbeResult;
    const xml = checkJunit("t", [result], 1);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).toContain('message="bad ?[31m?? bytes &amp; &lt;tags&gt;"');
  });
});
