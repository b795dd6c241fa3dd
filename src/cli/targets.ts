import { Option, type Command } from "commander";
import { closeAll, connectAll } from "../apply/connect.js";
import { resolveEndpoints } from "../apply/endpoints.js";
import { loadInventory, type Inventory } from "../apply/inventory.js";
import { LabError } from "../errors.js";
import { createSandbox, readSandboxState, sandboxHealthy, sandboxInventory } from "../sandbox/sandbox.js";
import type { Lab } from "../labfile/model.js";
import type { Transport } from "../transport/types.js";
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

export interface Targets {
  transports: Map<string, Transport>;
  /** Sandbox only: VLAN stand-ins per host. */
  standins: Record<string, number[]>;
  close(): Promise<void>;
}

/**
 * Connect to every host of the lab: through the sandbox (made when `create` is set), an
 * inventory, or the lab file's own SSH settings.
 */
export async function openTargets(
  lab: Lab,
  options: TargetOptions,
  mode: { create: boolean },
  log: (line: string) => void,
): Promise<Targets> {
  if (options.sandbox && options.inventory)
    throw usageError("--sandbox and --inventory cannot be used together (the sandbox has its own inventory)");
  if (options.vlanStandin && !options.sandbox) throw usageError("--vlan-standin only works with --sandbox");
  let inventory: Inventory | undefined;
  let knownHostsFile: string | undefined;
  let strict = options.strictHostKeys ?? false;
  if (options.sandbox) {
    if (mode.create) await createSandbox(lab, log, { vlanStandin: options.vlanStandin });
    else if (!(await sandboxHealthy(lab))) {
      const state = await readSandboxState(lab.name);
      throw new LabError(
        `no running sandbox for ${lab.name}${state ? " (its hosts have stopped)" : ""}: run lab up --sandbox first`,
        "no-sandbox",
      );
    }
    inventory = sandboxInventory(lab);
    // The sandbox wrote its hosts' keys: nothing unknown may appear.
    strict = true;
  } else if (options.inventory) {
    inventory = await loadInventory(options.inventory);
  }
  knownHostsFile = inventory?.known_hosts;
  const transports = await connectAll(resolveEndpoints(lab, inventory), {
    knownHostsFile,
    strictHostKeys: strict,
    parallel: parallelOf(options),
    log,
  });
  const standins = options.sandbox && options.vlanStandin ? ((await readSandboxState(lab.name))?.standins ?? {}) : {};
  return { transports, standins, close: () => closeAll(transports) };
}
