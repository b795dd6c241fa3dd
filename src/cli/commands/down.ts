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
      const { downLab } = await import("../../core/down.js");
      const { fanOut } = await import("../../apply/events.js");
      const { logFileView } = await import("../../report/log-file.js");
      const { plainView } = await import("../../report/plain.js");
      const { loadValidLab } = await import("../read-lab.js");
      const { firstCtrlCStops } = await import("../ctrl-c.js");
      const lab = await loadValidLab(file, policyOf(opts));
      if (!lab) return setExit(EXIT.labProblem);
      const write = (line: string) => process.stdout.write(line + "\n");
      const where = targetChoice(opts);
      const logDir = `.lab/logs/${lab.name}/${new Date().toISOString().replace(/[:.]/g, "-")}-down`;
      // As in `lab up`: Ctrl-C lets the running undo finish, records it, and stops.
      const ctrlC = firstCtrlCStops(write, "undo");
      let result: Awaited<ReturnType<typeof downLab>>;
      try {
        result = await downLab(lab, where, {
          removeSandbox: (opts.sandbox ?? false) && !opts.keepSandbox,
          emit: fanOut(logFileView(logDir), plainView(write, { verbose: opts.verbose ?? false })),
          signal: ctrlC.signal,
          log: write,
        });
      } finally {
        ctrlC.done();
      }
      if (result.kind === "not running") {
        write(
          result.removed.length
            ? `sandbox: removed ${result.removed.join(", ")}`
            : `sandbox: nothing of ${lab.name} was running`,
        );
        return setExit(EXIT.ok);
      }
      if (result.kind === "sandbox removed unreachable") {
        process.stderr.write(
          `lab down: cannot undo the lab on its hosts (${result.error.message}); removing the sandbox anyway\n`,
        );
        write(`sandbox: removed ${result.removed.join(", ")}`);
        return setExit(EXIT.ok);
      }
      const { outcomes } = result;
      const failed = outcomes.some((o) => o.failed.length > 0 || o.refused);
      const interrupted = outcomes.some((o) => o.interrupted);
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
      // A refused state may be another lab's (same name, another id) on these sandbox hosts.
      if (result.sandbox === "kept")
        write(`sandbox: kept, since a host refused its state; lab sandbox destroy ${file} removes it`);
      else if (result.sandbox) write(`sandbox: removed ${result.sandbox.removed.join(", ")}`);
      setExit(failed ? EXIT.labProblem : EXIT.ok);
    });
}
