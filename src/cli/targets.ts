import { Option, type Command } from "commander";
import type { TargetChoice } from "../core/targets.js";
import { usageError } from "./exit-codes.js";
import type { LocalPolicy } from "../labfile/local-policy.js";

export interface TargetOptions {
  sandbox?: boolean;
  vlanStandin?: boolean;
  inventory?: string;
  strictHostKeys?: boolean;
  parallel: string;
  verbose?: boolean;
  allowEnv: string[];
}

/** The flags every command that reaches hosts shares. */
export function addTargetOptions(command: Command): Command {
  return command
    .option("--sandbox", "use this machine's sandbox hosts (namespaces with sshd; needs root)")
    .option(
      "--inventory <file>",
      "YAML/JSON map host → {host, port, user, identity_file, proxy_command} overriding where SSH goes",
    )
    .option(
      "--strict-host-keys",
      "refuse hosts missing from known_hosts (default: accept new keys, refuse changed ones)",
    )
    .addOption(new Option("--parallel <n>", "hosts worked on at once").default("10"))
    .option("--verbose", "print every remote command")
    .option(
      "--allow-env <name>",
      "also read this variable as a secret (password_env etc.), though not named LAB_* (repeatable)",
      collect,
      [],
    );
}

/** Commander's way to take a repeatable option as a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What a lab may take from this machine, for commands that read secrets or upload files. */
export const policyOf = (options: { allowEnv?: string[] }): LocalPolicy => ({ allowEnv: options.allowEnv ?? [] });

export function parallelOf(options: TargetOptions): number {
  const n = Number(options.parallel);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--parallel ${options.parallel}: expected a whole number ≥ 1`);
  return n;
}

/** Where the command's hosts are, from its flags. */
export function targetChoice(options: TargetOptions): TargetChoice {
  if (options.sandbox && options.inventory)
    throw usageError("--sandbox and --inventory cannot be used together (the sandbox has its own inventory)");
  if (options.vlanStandin && !options.sandbox) throw usageError("--vlan-standin only works with --sandbox");
  return {
    sandbox: options.sandbox ?? false,
    vlanStandin: options.vlanStandin ?? false,
    inventory: options.inventory,
    strictHostKeys: options.strictHostKeys ?? false,
    parallel: parallelOf(options),
  };
}
