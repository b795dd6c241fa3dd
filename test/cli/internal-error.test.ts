import { spawnSync } from "node:child_process";
import type * as ValidateModule from "../../src/labfile/validate.js";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EXIT } from "../../src/cli/exit-codes.js";
import { reportInternalError, runCli } from "../../src/cli/program.js";
import { validateSource } from "../../src/labfile/validate.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * An unexpected exception is a bug in lab: exit 70, ONE line on stderr that says so and where
 * the details are, the stack in .lab/logs/internal-<time>.log under the working directory.
 */

// In-process runs below make validateSource throw as a bug would (the real one is used otherwise).
vi.mock("../../src/labfile/validate.js", async (importOriginal) => {
  const real = await importOriginal<typeof ValidateModule>();
  return { ...real, validateSource: vi.fn(real.validateSource) };
});

const repo = resolve(".");
const ONE_LINE =
  /^lab: internal error \(a bug\): (.*); details in (\.lab\/logs\/internal-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.log)\n$/;

/** The real CLI in a child process, from `cwd`, with a module preloaded that plants a bug. */
function labWithBug(cwd: string, preload: string, ...args: string[]) {
  const r = spawnSync(
    join(repo, "node_modules/.bin/tsx"),
    ["--import", join(repo, "test/cli/fixtures", preload), join(repo, "src/cli/main.ts"), ...args],
    {
      cwd,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("an internal error through the real CLI (child process)", () => {
  it("exits 70 with one line on stderr; the stack is in .lab/logs/internal-<time>.log", () => {
    const cwd = scratchDir("internal");
    const r = labWithBug(cwd, "simulate-bug.mjs", "validate", join(repo, "labs/single-network.yaml"));
    expect(r.code, r.stderr).toBe(70);
    expect(r.stdout).toBe("");
    const m = ONE_LINE.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    // The first line of the message only: the rest is in the log.
    expect(m![1]).toBe("simulated bug: readFile is not a function of this world");
    const log = readFileSync(join(cwd, m![2]!), "utf8");
    expect(log).toContain(
      "TypeError: simulated bug: readFile is not a function of this world\nsecond line of the message\n    at ",
    );
    expect(log).toContain("readLabSource");
    expect(log).toContain(`arguments: ${JSON.stringify(["validate", join(repo, "labs/single-network.yaml")])}`);
  });

  it("exits 70 the same way for an exception thrown in a callback, outside any awaited promise", () => {
    const cwd = scratchDir("internal");
    const r = labWithBug(cwd, "simulate-callback-bug.mjs", "validate", join(repo, "labs/single-network.yaml"));
    expect(r.code, r.stderr).toBe(70);
    const m = ONE_LINE.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(m![1]).toBe("simulated bug in a callback");
    expect(readFileSync(join(cwd, m![2]!), "utf8")).toContain("RangeError: simulated bug in a callback");
  });

  it("says in the same one line when the log cannot be written", () => {
    const cwd = scratchDir("internal");
    writeFileSync(join(cwd, ".lab"), "a file where the log directory would go\n");
    const r = labWithBug(cwd, "simulate-bug.mjs", "validate", join(repo, "labs/single-network.yaml"));
    expect(r.code, r.stderr).toBe(70);
    expect(r.stderr).toMatch(
      /^lab: internal error \(a bug\): simulated bug: readFile is not a function of this world; the details could not be written to \.lab\/logs\/internal-[\dTZ-]+\.log \(.*\)\n$/,
    );
  });

  it("keeps the exit codes of lab errors: a missing file is usage (2), a directory too", () => {
    const cwd = scratchDir("internal");
    const missing = spawnSync(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "validate", "nope.yaml"],
      { cwd, encoding: "utf8" },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("lab: cannot read nope.yaml: no such file\n");
    const directory = spawnSync(join(repo, "node_modules/.bin/tsx"), [join(repo, "src/cli/main.ts"), "validate", "."], {
      cwd,
      encoding: "utf8",
    });
    expect(directory.status).toBe(2);
    expect(directory.stderr).toBe("lab: cannot read .: it is a directory, not a lab file\n");
    expect(readdirSync(cwd)).toEqual([]);
  });
});

describe("an internal error in runCli (in process)", () => {
  const cwd = process.cwd();
  afterEach(() => {
    process.chdir(cwd);
    vi.restoreAllMocks();
  });

  it("returns 70 and writes one line when a command's dependency throws", async () => {
    const dir = scratchDir("internal");
    process.chdir(dir);
    vi.mocked(validateSource).mockImplementationOnce(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'hosts')");
    });
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await runCli(["validate", join(repo, "labs/single-network.yaml")]);
    expect(code).toBe(EXIT.internal);
    expect(code).toBe(70);
    const written = stderr.mock.calls.map(([text]) => String(text)).join("");
    const m = ONE_LINE.exec(written);
    expect(m, written).not.toBeNull();
    expect(m![1]).toBe("Cannot read properties of undefined (reading 'hosts')");
    expect(readFileSync(join(dir, m![2]!), "utf8")).toMatch(
      /TypeError: Cannot read properties of undefined \(reading 'hosts'\)\n\s+at /,
    );
  });

  it("still prints a lab error as one located line with its own exit code", async () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const code = await runCli(["validate", "no-such-lab.yaml"]);
    expect(code).toBe(EXIT.usage);
    expect(stderr.mock.calls.map(([text]) => String(text)).join("")).toBe(
      "lab: cannot read no-such-lab.yaml: no such file\n",
    );
  });
});

describe("reportInternalError", () => {
  const now = new Date("2026-01-02T03:04:05.678Z");

  it("logs the stack, the causes and the arguments, and writes one line naming the log", () => {
    const cwd = scratchDir("internal");
    const lines: string[] = [];
    const err = new Error("outer\nmore detail", { cause: new RangeError("inner") });
    const code = reportInternalError(err, { cwd, now, argv: ["plan", "x.yaml"], write: (t) => lines.push(t) });
    expect(code).toBe(70);
    expect(lines).toEqual([
      "lab: internal error (a bug): outer; details in .lab/logs/internal-2026-01-02T03-04-05-678Z.log\n",
    ]);
    const log = readFileSync(join(cwd, ".lab/logs/internal-2026-01-02T03-04-05-678Z.log"), "utf8");
    expect(log).toContain('arguments: ["plan","x.yaml"]');
    expect(log).toContain("Error: outer\nmore detail\n    at ");
    expect(log).toContain("caused by: RangeError: inner");
  });

  it("copes with what is not an Error", () => {
    const cwd = scratchDir("internal");
    const unprintable = Object.create(null) as object; // String() of it throws
    for (const [thrown, shown] of [
      ["a string", "a string"],
      [undefined, "undefined"],
      [{ toString: () => "" }, "unknown error"],
      [unprintable, "(cannot be shown)"],
      [new Error("tab\there\u001b[31m red"), "tab?here?[31m red"],
    ] as const) {
      const lines: string[] = [];
      expect(reportInternalError(thrown, { cwd, now, argv: [], write: (t) => lines.push(t) })).toBe(70);
      expect(lines).toEqual([
        `lab: internal error (a bug): ${shown}; details in .lab/logs/internal-2026-01-02T03-04-05-678Z.log\n`,
      ]);
    }
    expect(readFileSync(join(cwd, ".lab/logs/internal-2026-01-02T03-04-05-678Z.log"), "utf8")).toContain(
      "thrown: a string",
    );
  });

  it("says in its one line why the log could not be written", () => {
    const cwd = scratchDir("internal");
    writeFileSync(join(cwd, ".lab"), "");
    const lines: string[] = [];
    expect(reportInternalError(new Error("boom"), { cwd, now, argv: [], write: (t) => lines.push(t) })).toBe(70);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^lab: internal error \(a bug\): boom; the details could not be written to \.lab\/logs\/internal-2026-01-02T03-04-05-678Z\.log \([^\n]+\)\n$/,
    );
  });

  it("never writes its log through a link that came with the working directory", () => {
    const cwd = scratchDir("internal");
    const elsewhere = scratchDir("internal-elsewhere");
    mkdirSync(join(cwd, ".lab"));
    symlinkSync(elsewhere, join(cwd, ".lab", "logs"));
    const lines: string[] = [];
    expect(reportInternalError(new Error("boom"), { cwd, now, argv: [], write: (t) => lines.push(t) })).toBe(70);
    expect(lines[0]).toContain(
      `the details could not be written to .lab/logs/internal-2026-01-02T03-04-05-678Z.log (${join(cwd, ".lab", "logs")} is a symbolic link;`,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
