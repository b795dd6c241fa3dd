import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { EXIT, LabError, type ExitCode } from "../../errors.js";
import { addTargetOptions, policyOf, targetChoice, type TargetOptions } from "../targets.js";

interface CheckOptions extends TargetOptions {
  json?: boolean;
  stats?: boolean;
  junit?: string;
  deadline?: string;
}

export function registerCheck(program: Command, setExit: (code: ExitCode) => void): void {
  const command = program
    .command("check")
    .description(
      "re-run the lab's proof: every pair on one network reachable, across networks unreachable, plus explicit checks",
    )
    .argument("<file>", "lab file")
    .option("--json", "print one JSON document with every result")
    .option("--junit <file>", "also write the results as JUnit XML (for CI pipelines)")
    .option("--deadline <seconds>", "give up on a host's pings after this long")
    .option("--stats", "print connections and remote commands per host (on stderr with --json)");
  addTargetOptions(command)
    .addHelpText(
      "after",
      `
Pings run as one script per source host, all targets in parallel. Each result shows the
target's address, what was expected and why.
Exit code: 0 every result as expected, 1 any result unexpected (it wins over 4), 4 a check
could not run (a container or namespace missing), 3 a host cannot be reached.`,
    )
    .action(async (file: string, opts: CheckOptions) => {
      const { checkJson, checkJunit, printCheckResults } = await import("../../report/check-view.js");
      const { checkExitCode, runChecks } = await import("../../verify/check.js");
      const { loadValidLab } = await import("../read-lab.js");
      const { openTargets } = await import("../../core/targets.js");
      const lab = await loadValidLab(file, policyOf(opts));
      if (!lab) return setExit(EXIT.labProblem);
      const deadline = opts.deadline === undefined ? undefined : Number(opts.deadline);
      if (deadline !== undefined && !(deadline > 0))
        throw new LabError(`--deadline ${opts.deadline}: expected seconds > 0`, "usage");
      const write = (line: string) => process.stdout.write(line + "\n");
      const log = opts.json ? (line: string) => process.stderr.write(line + "\n") : write;
      const started = Date.now();
      const where = targetChoice(opts);
      const targets = await openTargets(lab, where, { create: false }, log);
      try {
        const results = await runChecks(lab, targets.transports, where.parallel, deadline);
        const code = checkExitCode(results);
        if (opts.json) write(checkJson(lab.name, results, code));
        else printCheckResults(results, write, process.stdout.isTTY && !process.env.NO_COLOR);
        if (opts.junit) await writeFile(opts.junit, checkJunit(lab.name, results, (Date.now() - started) / 1000));
        if (opts.stats)
          for (const t of targets.transports.values())
            log(`${t.host}: ${t.stats.connections} connection(s), ${t.stats.commands} remote commands`);
        setExit(code);
      } finally {
        await targets.close();
      }
    });
}
