import type { Command } from "commander";
import { EXIT, type ExitCode } from "../../errors.js";

/** The sandbox on its own: hosts without the lab, e.g. to look at them before `lab up`. */
export function registerSandbox(program: Command, setExit: (code: ExitCode) => void): void {
  const sandbox = program
    .command("sandbox")
    .description("this machine's stand-in hosts for a lab: namespaces with their own sshd (root)")
    .addHelpText(
      "after",
      `
\`lab up --sandbox\` creates the sandbox by itself; these commands are for looking around:
  lab sandbox create labs/macvlan-netns.yaml
  ssh -F .lab/sandbox/macvlan-netns/ssh_config docker01     a shell on a sandbox host
  lab sandbox destroy labs/macvlan-netns.yaml`,
    );
  const write = (line: string) => process.stdout.write(line + "\n");
  sandbox
    .command("create")
    .description("create (or reuse) the sandbox hosts of a lab, without applying the lab")
    .argument("<file>", "lab file")
    .action(async (file: string) => {
      const { createSandbox } = await import("../../sandbox/sandbox.js");
      const { sandboxDir } = await import("../../sandbox/paths.js");
      const { loadValidLab } = await import("../read-lab.js");
      const lab = await loadValidLab(file);
      if (!lab) return setExit(EXIT.labProblem);
      const state = await createSandbox(lab, write);
      const missing = Object.entries(state.features)
        .filter(([, ok]) => !ok)
        .map(([f]) => f);
      if (missing.length > 0)
        write(`sandbox: this kernel lacks ${missing.join(", ")}; labs that need them stop at preflight`);
      write(`sandbox: ssh -F ${sandboxDir(lab.name)}/ssh_config ${lab.hosts[0]!.name}`);
      setExit(EXIT.ok);
    });
  sandbox
    .command("status")
    .description("show whether the sandbox hosts of a lab are running")
    .argument("<file>", "lab file")
    .action(async (file: string) => {
      const { readSandboxState, sandboxHealthy } = await import("../../sandbox/sandbox.js");
      const { loadValidLab } = await import("../read-lab.js");
      const lab = await loadValidLab(file);
      if (!lab) return setExit(EXIT.labProblem);
      const state = await readSandboxState(lab.name);
      if (!state) {
        write(`sandbox: none for ${lab.name}`);
        return setExit(EXIT.ok);
      }
      write(
        `sandbox ${lab.name}: ${(await sandboxHealthy(lab)) ? "running" : "stopped or incomplete"} since ${state.createdAt}`,
      );
      for (const h of state.hosts) write(`  ${h.name}: netns ${h.netns}, pid ${h.pid1}, files ${h.dir}`);
      write(
        `  kernel: ${Object.entries(state.features)
          .map(([f, ok]) => `${f} ${ok ? "yes" : "no"}`)
          .join(", ")}`,
      );
      setExit(EXIT.ok);
    });
  sandbox
    .command("destroy")
    .description(
      "remove the sandbox hosts of a lab (processes, namespaces, mounts, files) without undoing the lab first",
    )
    .argument("<file>", "lab file")
    .action(async (file: string) => {
      const { destroySandbox } = await import("../../sandbox/sandbox.js");
      const { loadValidLab } = await import("../read-lab.js");
      const lab = await loadValidLab(file);
      if (!lab) return setExit(EXIT.labProblem);
      const { removed } = await destroySandbox(lab);
      write(
        removed.length > 0 ? `sandbox: removed ${removed.join(", ")}` : `sandbox: nothing of ${lab.name} was there`,
      );
      setExit(EXIT.ok);
    });
}
