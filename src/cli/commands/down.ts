import type { Command } from "commander";
import { EXIT, type ExitCode } from "../../errors.js";
import { addTargetOptions, policyOf, targetChoice, type TargetOptions } from "../targets.js";

export function registerDown(program: Command, setExit: (code: ExitCode) => void): void {
  const command = program
    .command("down")
    .description("undo exactly what the lab did on each host (newest first); files it replaced come back from backups")
    .argument("<file>", "lab file")
    .option("--keep-sandbox", "with --sandbox: undo the lab but leave the sandbox hosts running");
  addTargetOptions(command)
    .addHelpText(
      "after",
      "\nWith --sandbox, the sandbox hosts are removed afterwards too (namespaces, processes, mounts, files),\neven when lab cannot log in to undo the lab on them first.",
    )
    .action(async (file: string, opts: TargetOptions & { keepSandbox?: boolean }) => {
      const { undoLab } = await import("../../apply/down.js");
      const { fanOut } = await import("../../apply/events.js");
      const { openTargets } = await import("../../core/targets.js");
      const { logFileView } = await import("../../report/log-file.js");
      const { plainView } = await import("../../report/plain.js");
      const { destroySandbox, sandboxHealthy } = await import("../../sandbox/sandbox.js");
      const { loadValidLab } = await import("../read-lab.js");
      const lab = await loadValidLab(file, policyOf(opts));
      if (!lab) return setExit(EXIT.labProblem);
      const write = (line: string) => process.stdout.write(line + "\n");
      if (opts.sandbox && !(await sandboxHealthy(lab))) {
        const { removed } = await destroySandbox(lab);
        write(
          removed.length ? `sandbox: removed ${removed.join(", ")}` : `sandbox: nothing of ${lab.name} was running`,
        );
        return setExit(EXIT.ok);
      }
      const where = targetChoice(opts);
      const removeSandboxAfter = opts.sandbox && !opts.keepSandbox;
      let targets;
      try {
        targets = await openTargets(lab, where, { create: false }, write);
      } catch (error) {
        if (!removeSandboxAfter) throw error;
        // The sandbox hosts are about to go, and everything the lab did on them with them:
        // failing to log in (a password variable not set, say) must not leave them running.
        process.stderr.write(
          `lab down: cannot undo the lab on its hosts (${error instanceof Error ? error.message : String(error)}); removing the sandbox anyway\n`,
        );
        const { removed } = await destroySandbox(lab);
        write(`sandbox: removed ${removed.join(", ")}`);
        return setExit(EXIT.ok);
      }
      // As in `lab up`: Ctrl-C lets the running undo finish, records it, and stops.
      const { firstCtrlCStops } = await import("../ctrl-c.js");
      const ctrlC = firstCtrlCStops(write, "undo");
      let outcomes: Awaited<ReturnType<typeof undoLab>>;
      try {
        const logDir = `.lab/logs/${lab.name}/${new Date().toISOString().replace(/[:.]/g, "-")}-down`;
        outcomes = await undoLab(lab, targets.transports, {
          parallel: where.parallel,
          emit: fanOut(logFileView(logDir), plainView(write, { verbose: opts.verbose ?? false })),
          commandTimeoutMs: lab.timeouts.command * 1000,
          signal: ctrlC.signal,
        });
      } finally {
        ctrlC.done();
        await targets.close();
      }
      const failed = outcomes.some((o) => o.failed.length > 0 || o.refused);
      const interrupted = outcomes.some((o) => o.interrupted);
      const refused = outcomes.some((o) => o.refused);
      for (const o of outcomes)
        write(
          o.refused
            ? `${o.host}: nothing undone (see below)`
            : `${o.host}: ${o.undone} undone, ${o.failed.length} failed`,
        );
      for (const o of outcomes.filter((o) => o.refused)) process.stderr.write(`${o.host}: ${o.refused}\n`);
      if (failed)
        process.stderr.write(
          "lab down: some changes could not be undone (see above); they stay recorded, so lab down can retry them\n",
        );
      if (interrupted) write("stopped by Ctrl-C; what is left stays recorded: run lab down again to finish");
      if (interrupted) return setExit(EXIT.labProblem);
      if (removeSandboxAfter && refused) {
        // A refused state may be another lab's (same name, another id) on these sandbox hosts.
        write(`sandbox: kept, since a host refused its state; lab sandbox destroy ${file} removes it`);
      } else if (removeSandboxAfter) {
        const { removed } = await destroySandbox(lab);
        write(`sandbox: removed ${removed.join(", ")}`);
      }
      setExit(failed ? EXIT.labProblem : EXIT.ok);
    });
}
