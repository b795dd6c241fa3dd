import { readFileSync } from "node:fs";
import { Argument, type Command } from "commander";
import { EXIT, type ExitCode } from "../../errors.js";
import { templatePath } from "../../package-root.js";

const SHELLS = ["bash", "zsh", "fish"] as const;

export function registerCompletion(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command("completion")
    .description("print the shell completion script: commands, flags, --format values, lab files, a lab's host names")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(SHELLS))
    .addHelpText(
      "after",
      `
Install once, then open a new shell:
  bash  lab completion bash > ~/.local/share/bash-completion/completions/lab
        (or: echo 'source <(lab completion bash)' >> ~/.bashrc)
  zsh   lab completion zsh > "\${fpath[1]}/_lab"
        (or: echo 'source <(lab completion zsh)' >> ~/.zshrc, after compinit)
  fish  lab completion fish > ~/.config/fish/completions/lab.fish

Then: lab <Tab> lists the commands, lab up --<Tab> its flags, lab plan FILE --host <Tab>
the hosts of that lab, and FILE arguments offer *.yaml and *.yml files.`,
    )
    .action((shell: (typeof SHELLS)[number]) => {
      process.stdout.write(readFileSync(templatePath("completion", `lab.${shell}`), "utf8"));
      setExit(EXIT.ok);
    });
}
