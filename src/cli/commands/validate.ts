import type { Command } from "commander";
import type { Lab } from "../../labfile/model.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { collect, policyOf } from "../targets.js";

function summary(lab: Lab): string {
  const parts: [number, string][] = [
    [lab.hosts.length, "host"],
    [lab.vlans.length, "VLAN"],
    [lab.networks.length, "network"],
    [lab.containers.length, "container"],
    [lab.namespaces.length, "namespace"],
  ];
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}${n === 1 ? "" : "s"}`)
    .join(", ");
}

export function registerValidate(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command("validate")
    .description("check lab files: schema, then addresses, subnets, names and references")
    .argument("<file...>", "lab files (YAML)")
    .option("--json", "print one JSON document with every issue")
    .option(
      "--allow-env <name>",
      "accept this variable as a secret (password_env etc.), though not named LAB_* (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      `
Every problem is printed as file:line:col: message, all of them in one run.
Exit code: 0 valid, 1 invalid, 2 usage (e.g. a file that does not exist).

Examples:
  lab validate labs/two-host-vlan.yaml
  lab validate --json labs/*.yaml`,
    )
    .action(async (files: string[], opts: { json?: boolean; allowEnv: string[] }) => {
      const { printIssues, validatePath } = await import("../read-lab.js");
      const results = [];
      // With what `lab up` would refuse to take from this machine (secrets, uploads).
      for (const file of files) results.push(await validatePath(file, policyOf(opts)));
      const ok = results.every((r) => r.ok);
      if (opts.json) {
        const doc = {
          ok,
          files: results.map((r) => ({
            file: r.file,
            ok: r.ok,
            issues: r.issues.map(({ file, line, col, severity, message, path }) => ({
              file,
              line,
              col,
              severity,
              message,
              path,
            })),
          })),
        };
        process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
      } else {
        for (const r of results) {
          printIssues(r.issues);
          const errors = r.issues.filter((i) => i.severity === "error").length;
          if (r.ok && r.lab) process.stdout.write(`${r.file}: valid (${summary(r.lab)})\n`);
          else process.stderr.write(`${r.file}: invalid, ${errors} error${errors === 1 ? "" : "s"}\n`);
        }
      }
      setExit(ok ? EXIT.ok : EXIT.labProblem);
    });
}
