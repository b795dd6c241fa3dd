import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Option, type Command } from "commander";
import { EXIT, usageError, type ExitCode } from "../exit-codes.js";

interface PlanOptions {
  format: "text" | "sh" | "json";
  host?: string;
  os?: "rhel" | "debian";
  outDir?: string;
}

export function registerPlan(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command("plan")
    .description("show every command `lab up` would run on each host, without touching any host")
    .argument("<file>", "lab file")
    .addOption(
      new Option("--format <format>", "text listing, one shell script per host, or JSON")
        .choices(["text", "sh", "json"])
        .default("text"),
    )
    .option("--host <name>", "only this host")
    .addOption(
      new Option("--os <family>", "OS family to plan for where the lab does not say").choices(["rhel", "debian"]),
    )
    .option("--out-dir <dir>", "with --format sh: write <host>.sh files there")
    .addHelpText(
      "after",
      `
Each step shows its check (skip when it already holds), what it runs or writes, and its undo.
No host is contacted: the OS family is taken from the lab, --os, or assumed (rhel).

Examples:
  lab plan labs/two-host-vlan.yaml
  lab plan labs/two-host-vlan.yaml --host docker01 --format sh > docker01.sh
  lab plan labs/two-host-vlan.yaml --format sh --out-dir scripts/ --os debian
  lab plan labs/single-network.yaml --format json | jq '.hosts[0].steps[].id'`,
    )
    .action(async (file: string, opts: PlanOptions) => {
      const { assumedFacts, buildPlan } = await import("../../plan/build-plan.js");
      const { planScripts } = await import("../../report/plan-sh.js");
      const { planText } = await import("../../report/plan-text.js");
      const { didYouMean } = await import("../../labfile/did-you-mean.js");
      const { loadValidLab } = await import("../read-lab.js");
      const lab = await loadValidLab(file);
      if (!lab) return setExit(EXIT.labProblem);
      if (opts.host && !lab.hosts.some((h) => h.name === opts.host)) {
        throw usageError(
          `--host ${opts.host}: no such host in ${file}${didYouMean(
            opts.host,
            lab.hosts.map((h) => h.name),
          )}`,
        );
      }
      const plan = buildPlan(lab, assumedFacts(lab, opts.os));
      if (opts.host) plan.hosts = plan.hosts.filter((h) => h.host === opts.host);
      if (opts.format === "json") process.stdout.write(JSON.stringify(plan, null, 2) + "\n");
      else if (opts.format === "text") process.stdout.write(planText(plan));
      else {
        const scripts = planScripts(plan);
        if (opts.outDir) {
          await mkdir(opts.outDir, { recursive: true });
          for (const { host, script } of scripts) {
            const path = join(opts.outDir, `${host}.sh`);
            await writeFile(path, script, { mode: 0o755 });
            process.stderr.write(`wrote ${path}\n`);
          }
        } else {
          if (scripts.length > 1)
            process.stderr.write(
              `note: ${scripts.length} scripts follow, one per host; use --host or --out-dir for one file each\n`,
            );
          process.stdout.write(scripts.map((s) => s.script).join("\n"));
        }
      }
      setExit(EXIT.ok);
    });
}
