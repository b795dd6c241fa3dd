import type { Command } from "commander";
import { applyPlan } from "../../apply/engine.js";
import { preflight } from "../../apply/preflight.js";
import { buildPlan } from "../../plan/build-plan.js";
import type { HostFacts } from "../../plan/types.js";
import { logFileEvents } from "../../report/log-file.js";
import { plainEvents, summaryLines } from "../../report/plain.js";
import { ttyEvents, type TtyView } from "../../report/tty.js";
import { EXIT, LabError, type ExitCode } from "../../errors.js";
import { loadValidLabWithId } from "../read-lab.js";
import { addTargetOptions, policyOf, openTargets, parallelOf, type TargetOptions } from "../targets.js";
import { printCheckResults } from "../../report/check-view.js";
import { checkExitCode, runChecks } from "../../verify/check.js";

interface UpOptions extends TargetOptions {
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
    .action(async (file: string, opts: UpOptions) => {
      const write = (line: string) => process.stdout.write(line + "\n");
      const lab = await loadValidLabWithId(file, policyOf(opts), write);
      if (!lab) return setExit(EXIT.labProblem);
      const logDir = `.lab/logs/${lab.name}/${new Date().toISOString().replace(/[:.]/g, "-")}`;
      const targets = await openTargets(lab, opts, { create: true }, write);
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
      process.on("SIGINT", onSigint);
      try {
        const facts: Record<string, HostFacts> = {};
        const results = await Promise.allSettled(
          [...targets.transports.values()].map(
            async (t) => [t.host, await preflight(lab, t, { vlanStandin: opts.vlanStandin })] as const,
          ),
        );
        const failures = results
          .filter((r): r is PromiseRejectedResult => r.status === "rejected")
          .map((r) => r.reason as Error);
        if (failures.length > 0) {
          throw new LabError(
            failures.map((f) => (f instanceof LabError ? f.located : f.message)).join("\n"),
            "preflight",
          );
        }
        for (const r of results)
          if (r.status === "fulfilled")
            facts[r.value[0]] = { ...r.value[1].facts, vlanStandins: targets.standins[r.value[0]] };
        const plan = buildPlan(lab, facts, { allowDockerRestart: opts.allowDockerRestart });
        // A live tree on a terminal; one plain line per event in CI, pipes and --verbose.
        // A terminal with no size (e.g. under `script` in a pipe) gets plain lines: the tree needs columns.
        const liveTree =
          process.stdout.isTTY && (process.stdout.columns ?? 0) >= 40 && !process.env.CI && !opts.verbose;
        tty = liveTree ? ttyEvents(plan) : undefined;
        const plain = tty ? undefined : plainEvents(write, { verbose: opts.verbose ?? false });
        const counts = (tty ?? plain!).counts;
        const events = logFileEvents(logDir, tty?.events ?? plain!);
        let result;
        try {
          result = await applyPlan(lab, plan, targets.transports, {
            parallel: parallelOf(opts),
            events,
            commandTimeoutMs: lab.timeouts.command * 1000,
            signal: abort.signal,
          });
        } finally {
          // The tree holds stdout and stderr while it renders: it ends before anything else is
          // written, and before the connections close, whatever happened.
          await tty?.stop();
          tty = undefined;
        }
        summaryLines(counts).forEach(write);
        for (const e of result.viewErrors)
          process.stderr.write(
            `lab: internal error in the progress view (the run went on; every command is in ${logDir}): ${e}\n`,
          );
        const changed = result.outcomes.filter((o) => o.status === "changed").length;
        if (result.failed) {
          for (const o of result.outcomes.filter((o) => o.status === "failed"))
            process.stderr.write(
              `${o.host}: ${o.step.title}: ${o.error?.command ? `${o.error.command}: ` : ""}${o.error?.message}\n`,
            );
          process.stderr.write(
            "lab up failed; fix the cause and run it again (it continues where it stands), or run lab down to undo what was done\n",
          );
          return setExit(EXIT.labProblem);
        }
        if (result.interrupted) {
          write("stopped by Ctrl-C; what was done is recorded: run lab up again to continue, or lab down to undo");
          return setExit(EXIT.labProblem);
        }
        write(
          changed === 0 ? "nothing to change: the lab was already up" : `lab ${lab.name} is up (${changed} changes)`,
        );
        if (opts.stats)
          for (const t of targets.transports.values())
            write(`${t.host}: ${t.stats.connections} connection(s), ${t.stats.commands} remote commands`);
        if (opts.check) {
          const checks = await runChecks(lab, targets.transports, parallelOf(opts));
          printCheckResults(checks, write, process.stdout.isTTY && !process.env.NO_COLOR);
          return setExit(checkExitCode(checks));
        }
        setExit(EXIT.ok);
      } finally {
        process.off("SIGINT", onSigint);
        await targets.close();
      }
    });
}
