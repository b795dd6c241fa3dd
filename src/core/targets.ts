import { closeAll, connectAll } from "../apply/connect.js";
import { resolveEndpoints } from "../apply/endpoints.js";
import { loadInventory, type Inventory } from "../apply/inventory.js";
import { LabError } from "../errors.js";
import type { Lab } from "../labfile/model.js";
import { createSandbox, readSandboxState, sandboxHealthy, sandboxInventory } from "../sandbox/sandbox.js";
import type { Transport } from "../transport/types.js";

/** Where a command's hosts are: the sandbox, an inventory, or the lab file's own SSH settings. */
export interface TargetChoice {
  sandbox: boolean;
  /** Sandbox only: stand-in links for VLANs on a kernel without 802.1q. */
  vlanStandin: boolean;
  inventory?: string;
  strictHostKeys: boolean;
  /** Hosts connected to at once. */
  parallel: number;
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
  options: TargetChoice,
  mode: { create: boolean },
  log: (line: string) => void,
): Promise<Targets> {
  let inventory: Inventory | undefined;
  let strict = options.strictHostKeys;
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
  const knownHostsFile = inventory?.known_hosts;
  const transports = await connectAll(resolveEndpoints(lab, inventory), {
    knownHostsFile,
    strictHostKeys: strict,
    parallel: options.parallel,
    log,
  });
  const standins = options.sandbox && options.vlanStandin ? ((await readSandboxState(lab.name))?.standins ?? {}) : {};
  return { transports, standins, close: () => closeAll(transports) };
}
