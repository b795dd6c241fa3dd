import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, scratchLab } from "../helpers/real-hosts.js";
import { Terminal, terminalUnavailable } from "../helpers/terminal.js";

/**
 * `lab class up` on a terminal (tmux, 120×40), as a teacher runs it: Ctrl-C while the students'
 * sandboxes are still being made reaches every process of the terminal's group, the sandbox's
 * own commands included. That is the stop asked for: every student is reported stopped (exit 1),
 * never an internal error; the next `class up` finishes the class and shows its table.
 */
const skip = dockerHostsUnavailable() ?? terminalUnavailable();
if (skip) console.log(`SKIPPED class terminal tests: ${skip}`);

const RUN_MS = 150_000;

describe.skipIf(!!skip)("lab class up on a terminal", { timeout: RUN_MS + 60_000 }, () => {
  const { dir, file } = scratchLab("labs/single-network.yaml", "t-ctty");
  let terminal: Terminal | undefined;
  const run = (...args: string[]) => (terminal = Terminal.lab(dir, args));

  afterEach(() => {
    terminal?.close();
    terminal = undefined;
  });
  afterAll(() => {
    lab(dir, "class", "down", "class", "--sandbox");
  });

  it("Ctrl-C while the sandboxes are made stops every student cleanly; class up again finishes", async () => {
    const roster = join(process.cwd(), "labs", "class", "roster.csv");
    expect(lab(dir, "class", "generate", file, "--roster", roster, "--out", "class").code).toBe(0);
    const t = run("class", "up", "class", "--sandbox");
    await t.waitFor(/: sandbox: /, RUN_MS);
    t.press("C-c");
    const code = await t.exitCode(RUN_MS);
    const screen = t.screen();
    expect(code, screen).toBe(1);
    expect(screen).toContain("interrupted: finishing the commands already running, then stopping");
    expect(screen).not.toContain("internal error");
    expect(screen).toMatch(/3 students: 0 as expected, 3 not as expected, 0 unreachable/);
    terminal?.close();

    const again = run("class", "up", "class", "--sandbox");
    const againCode = await again.exitCode(RUN_MS);
    const againScreen = again.screen();
    expect(againCode, againScreen).toBe(0);
    expect(againScreen).toContain("3 students: 3 as expected, 0 not as expected, 0 unreachable");
  });
});
