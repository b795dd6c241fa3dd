import type { Command } from "commander";
import { EXIT, type ExitCode } from "../../errors.js";
import { addTargetOptions, policyOf, targetChoice, type TargetOptions } from "../targets.js";

export function registerStatus(program: Command, setExit: (code: ExitCode) => void): void {
  const command = program
    .command("status")
    .description("show what of the lab is deployed where: interfaces, namespaces, networks, containers, IPs, MACs")
    .argument("<file>", "lab file")
    .option("--json", "print one JSON document");
  addTargetOptions(command).action(async (file: string, opts: TargetOptions & { json?: boolean }) => {
    const { settleAll } = await import("../../transport/settle-all.js");
    const { parseStatus, statusLines, statusScript } = await import("../../verify/status.js");
    const { loadValidLab } = await import("../read-lab.js");
    const { openTargets } = await import("../../core/targets.js");
    const lab = await loadValidLab(file, policyOf(opts));
    if (!lab) return setExit(EXIT.labProblem);
    const write = (line: string) => process.stdout.write(line + "\n");
    const targets = await openTargets(
      lab,
      targetChoice(opts),
      { create: false },
      opts.json ? (l: string) => process.stderr.write(l + "\n") : write,
    );
    try {
      const statuses = await settleAll(
        lab.hosts.map(async (h) =>
          parseStatus(
            lab,
            h.name,
            (
              await targets.transports
                .get(h.name)!
                .exec(statusScript(lab, h.name), { timeoutMs: 60_000, retrySafe: true })
            ).stdout,
          ),
        ),
      );
      if (opts.json) write(JSON.stringify({ lab: lab.name, hosts: statuses }, null, 2));
      else statuses.flatMap(statusLines).forEach(write);
      setExit(EXIT.ok);
    } finally {
      await targets.close();
    }
  });
}
