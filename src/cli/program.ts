import { closeSync, constants, mkdirSync, openSync, writeSync } from "node:fs";
import { refuseLinks } from "../local-dirs.js";
import { dirname, join } from "node:path";
import { Command, CommanderError } from "commander";
import { registerCheck } from "./commands/check.js";
import { registerClass } from "./commands/class.js";
import { registerDown } from "./commands/down.js";
import { registerGraph } from "./commands/graph.js";
import { registerPlan } from "./commands/plan.js";
import { registerSandbox } from "./commands/sandbox.js";
import { registerStatus } from "./commands/status.js";
import { registerUp } from "./commands/up.js";
import { registerSchema } from "./commands/schema.js";
import { registerValidate } from "./commands/validate.js";
import { EXIT, LabError, type ExitCode } from "./exit-codes.js";
import { registerCompletion } from "./commands/completion.js";
import { COMPLETE_COMMAND, completeWords } from "./completion.js";
import { packageVersion } from "../package-root.js";

const ABOUT = "Build multi-host container networking labs over SSH, and prove them.";

const EPILOG = `
A lab file (YAML) lists Linux hosts and what to build on them: 802.1q VLAN sub-interfaces,
promiscuous NICs, Docker macvlan/ipvlan networks, a private registry, containers with fixed
IPs, plain network namespaces, and the pings that prove which endpoints reach which.

Start here:
  lab validate labs/two-host-vlan.yaml     find mistakes, with file:line:col
  lab plan labs/two-host-vlan.yaml         every command, per host, with checks and undo
  lab plan labs/two-host-vlan.yaml --format sh --host docker01   the exercise as a script
  lab graph labs/two-host-vlan.yaml        the topology as a Mermaid diagram (--format dot)
  lab up labs/single-network.yaml --sandbox     try it on this machine (root): hosts as namespaces
  lab check labs/single-network.yaml --sandbox  the ping matrix again (--json, --junit FILE)
  lab down labs/single-network.yaml --sandbox   undo exactly what the lab did, remove the sandbox
  lab up labs/two-host-vlan.yaml --inventory hosts.yaml   real hosts over SSH
  lab completion bash > ~/.local/share/bash-completion/completions/lab   Tab completion

Exit codes: 0 done/as expected, 1 the lab is wrong or not as expected, 2 usage,
3 cannot run here (unreachable host, authentication, missing kernel feature),
4 a check could not run (a container or namespace missing),
70 internal error (a bug in lab: one line, the details in .lab/logs/internal-*.log).`;

/** Every command, option and argument of the CLI: what runs, what --help shows and what completes. */
export function buildProgram(setExit: (code: ExitCode) => void): Command {
  const program = new Command("lab")
    .description(ABOUT)
    .version(packageVersion())
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .addHelpText("after", EPILOG);
  registerValidate(program, setExit);
  registerSchema(program);
  registerPlan(program, setExit);
  registerUp(program, setExit);
  registerCheck(program, setExit);
  registerStatus(program, setExit);
  registerDown(program, setExit);
  registerGraph(program, setExit);
  registerSandbox(program, setExit);
  registerClass(program, setExit);
  registerCompletion(program, setExit);
  return program;
}

/** Build the CLI; returns the exit code instead of exiting, so tests can run it in-process. */
export async function runCli(argv: string[]): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  // What the shell completion scripts call on each Tab: the words typed so far, answered from
  // the same program definition (outside commander, which would read "--" and flags itself).
  if (argv[0] === COMPLETE_COMMAND) {
    process.stdout.write(completeWords(program, argv.slice(1)).join("\n") + "\n");
    return EXIT.ok;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof LabError) {
      process.stderr.write(`lab: ${err.located}\n`);
      return err.exitCode;
    }
    return reportInternalError(err, { argv });
  }
}

export interface InternalErrorOptions {
  /** The log goes to .lab/logs/ under this directory (default: the working directory). */
  cwd?: string;
  now?: Date;
  argv?: string[];
  write?: (text: string) => void;
}

/**
 * An exception nobody expected is a bug in lab: one line on stderr that says so and where the
 * details are; the stack goes to .lab/logs/internal-<time>.log. Returns the exit code (70).
 */
export function reportInternalError(err: unknown, options: InternalErrorOptions = {}): ExitCode {
  const {
    cwd = process.cwd(),
    now = new Date(),
    argv = process.argv.slice(2),
    write = (text) => process.stderr.write(text),
  } = options;
  const message =
    oneLine(safely(() => (err instanceof Error ? String(err.message || err.name) : String(err)))) || "unknown error";
  const relativePath = `.lab/logs/internal-${now.toISOString().replace(/[:.]/g, "-")}.log`;
  let where: string;
  try {
    const path = join(cwd, relativePath);
    refuseLinks(dirname(path), "its logs", cwd);
    mkdirSync(dirname(path), { recursive: true });
    const details = [
      `lab ${safely(packageVersion)} on Node ${process.version} (${process.platform}), ${now.toISOString()}`,
      `arguments: ${JSON.stringify(argv)}`,
      `working directory: ${cwd}`,
      "",
      describeError(err),
      "",
    ].join("\n");
    // O_NOFOLLOW: never written through a link planted where the log goes.
    const fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      writeSync(fd, details);
    } finally {
      closeSync(fd);
    }
    where = `details in ${relativePath}`;
  } catch (logError) {
    where = `the details could not be written to ${relativePath} (${oneLine(safely(() => (logError instanceof Error ? logError.message : String(logError))))})`;
  }
  write(`lab: internal error (a bug): ${message}; ${where}\n`);
  return EXIT.internal;
}

/** The report of a bug must not fail itself (a thrown value whose toString throws, say). */
const safely = (f: () => string): string => {
  try {
    return f();
  } catch {
    return "(cannot be shown)";
  }
};

/** The first line, without control characters, at most 300 characters. */
const oneLine = (text: string): string =>
  text
    .split(/[\r\n]/)[0]!
    .replace(/[\u0000-\u001f\u007f]/g, "?")
    .trim()
    .slice(0, 300);

/** The stack, and the stacks of its causes. */
function describeError(err: unknown, depth = 0): string {
  const text = safely(() =>
    err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : `thrown: ${String(err)}`,
  );
  const cause = err instanceof Error ? err.cause : undefined;
  return cause === undefined || depth >= 5 ? text : `${text}\ncaused by: ${describeError(cause, depth + 1)}`;
}
