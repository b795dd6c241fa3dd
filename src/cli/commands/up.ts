import type { Command } from "commander";
import type { Emit } from "../../apply/events.js";
import { EXIT, type ExitCode } from "../../errors.js";
import type { Plan } from "../../plan/types.js";
import type { TtyView } from "../../report/tty.js";
import { addTargetOptions, policyOf, targetChoice, type TargetOptions } from "../targets.js";

interface UpFlags extends TargetOptions {
  check: boolean;
  allowDockerRestart?: boolean;
  stats?: boolean;
}

export function registerUp(program: Command, setExit: (code: ExitCode) => void): void {
  const command = program
    .command("up")
    .description(
      "build the lab on its hosts over SSH: every step checks first, so re-running changes only what differs",
    )
    .argument("<file>", "lab file")
    .option("--no-check", "skip the ping checks at the end")
    .option("--stats", "print connections and remote commands per host")
    .option(
      "--allow-docker-restart",
      "restart dockerd if a reload does not apply the registry setting (running containers stop)",
    )
    .option(
      "--vlan-standin",
      "with --sandbox on a kernel without 802.1q: give each lab VLAN a stand-in link on its own switch bridge (no tagging)",
    );
  addTargetOptions(command)
    .addHelpText(
      "after",
      `
Before changing anything, every host is checked (reachable, root or sudo, kernel features,
Docker where needed); a host that cannot take part stops the run with exit 3, nothing changed.
What the lab changes is recorded on each host in /var/lib/lab/<name>.json, so \`lab down\`
undoes exactly that, from any machine. Logs: .lab/logs/<lab>/<time>/<host>.log.

Examples:
  lab up labs/macvlan-netns.yaml --sandbox      try a lab on this machine (root)
  lab up labs/two-host-vlan.yaml                real hosts, SSH settings from the lab file
  lab up labs/two-host-vlan.yaml --inventory vms.yaml --verbose`,
    )
    .action(async (file: string, opts: UpFlags) => {
      const { errorText, fanOut } = await import("../../apply/events.js");
      const { openTargets } = await import("../../core/targets.js");
      const { upExitCode, upLab } = await import("../../core/up.js");
      const { printCheckResults } = await import("../../report/check-view.js");
      const { logFileView } = await import("../../report/log-file.js");
      const { plainView, summaryLines } = await import("../../report/plain.js");
      const { ttyView } = await import("../../report/tty.js");
      const { checkExitCode, runChecks } = await import("../../verify/check.js");
      const { loadValidLabWithId } = await import("../read-lab.js");
      const write = (line: string) => process.stdout.write(line + "\n");
      const lab = await loadValidLabWithId(file, policyOf(opts), write);
      if (!lab) return setExit(EXIT.labProblem);
      const where = targetChoice(opts);
      const logDir = `.lab/logs/${lab.name}/${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const targets = await openTargets(lab, where, { create: true }, write);
      const abort = new AbortController();
      let tty: TtyView | undefined;
      const onSigint = () => {
        if (abort.signal.aborted) process.exit(130);
        const message =
          "interrupted: finishing the commands already running, then stopping (Ctrl-C again to quit at once)";
        // While the tree owns the screen, a plain line would only appear after it ends.
        if (tty) tty.notice(message);
        else write(message);
        abort.abort();
      };
      // A live tree on a terminal; one plain line per event in CI, pipes and --verbose.
      // A terminal with no size (e.g. under `script` in a pipe) gets plain lines: the tree needs columns.
      const viewFor = (plan: Plan): Emit => {
        const liveTree =
          process.stdout.isTTY && (process.stdout.columns ?? 0) >= 40 && !process.env.CI && !opts.verbose;
        tty = liveTree ? ttyView(plan) : undefined;
        return fanOut(logFileView(logDir), tty?.emit ?? plainView(write, { verbose: opts.verbose ?? false }));
      };
      process.on("SIGINT", onSigint);
      try {
        let up;
        try {
          up = await upLab(lab, targets, {
            parallel: where.parallel,
            vlanStandin: where.vlanStandin,
            allowDockerRestart: opts.allowDockerRestart ?? false,
            signal: abort.signal,
            viewFor,
          });
        } finally {
          // The tree holds stdout and stderr while it renders: it ends before anything else is
          // written, and before the connections close, whatever happened.
          await tty?.stop();
          tty = undefined;
        }
        const { result } = up;
        summaryLines(result.outcomes).forEach(write);
        for (const e of result.viewErrors)
          process.stderr.write(
            `lab: internal error in the progress view (the run went on; every command is in ${logDir}): ${e}\n`,
          );
        if (result.failed) {
          for (const o of result.outcomes.filter((o) => o.status === "failed"))
            process.stderr.write(`${o.host}: ${o.step.title}: ${o.error ? errorText(o.error) : "failed"}\n`);
          process.stderr.write(
            "lab up failed; fix the cause and run it again (it continues where it stands), or run lab down to undo what was done\n",
          );
        } else if (result.interrupted) {
          write("stopped by Ctrl-C; what was done is recorded: run lab up again to continue, or lab down to undo");
        }
        if (upExitCode(result) !== EXIT.ok) return setExit(upExitCode(result));
        const changed = result.outcomes.filter((o) => o.status === "changed").length;
        write(
          changed === 0 ? "nothing to change: the lab was already up" : `lab ${lab.name} is up (${changed} changes)`,
        );
        if (opts.stats)
          for (const t of targets.transports.values())
            write(`${t.host}: ${t.stats.connections} connection(s), ${t.stats.commands} remote commands`);
        if (!opts.check) return setExit(EXIT.ok);
        const checks = await runChecks(lab, targets.transports, where.parallel);
        printCheckResults(checks, write, process.stdout.isTTY && !process.env.NO_COLOR);
        setExit(checkExitCode(checks));
      } finally {
        process.off("SIGINT", onSigint);
        await targets.close();
      }
    });
}
