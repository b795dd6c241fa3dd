import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Inventory } from "../apply/inventory.js";
import type { Lab } from "../labfile/model.js";
import { patterns } from "../labfile/patterns.js";
import { refuseLinks } from "../local-dirs.js";
import { accessInventory, proxyCommand, writeAccessFiles, type AccessFiles } from "./access-files.js";
import { ensureDocker } from "./docker.js";
import { probeKernelFeatures } from "./features.js";
import { makeNeighbourRoom } from "./neighbours.js";
import { mustRun, runLocal } from "./local.js";
import { LabError } from "../errors.js";
import { createHostNetwork, createSwitch, ensureStandins, removeNamespaces } from "./network.js";
import { hostNetns, probeNetns, sandboxDir, sandboxObjectNames, switchNetns } from "./paths.js";
import { killHosts, removeCgroups, sshBanner, startHostInit, waitFor } from "./processes.js";
import { sandboxPreconditions } from "./requirements.js";
import {
  readSandboxState,
  sandboxHealthy,
  writeSandboxState,
  type SandboxHostState,
  type SandboxState,
} from "./state.js";

/**
 * The local sandbox: every host of the lab as network + PID + mount + UTS namespaces on this
 * machine, with its own sshd, its lab NIC on a shared "switch" namespace, and nothing in the
 * machine's own network namespace. The tool reaches each host's sshd on the host's loopback
 * through a proxy command (nsenter + socat), exactly like any ProxyCommand, so `lab up`
 * runs the very same SSH path as against real hosts.
 *
 * This file puts the parts together: state.ts (state.json), network.ts (namespaces, switch,
 * VLAN stand-ins), processes.ts (each host's init and sshd), access-files.ts (inventory,
 * ssh_config), docker.ts and images.ts (dockerd and its images).
 */
export type { SandboxHostState, SandboxState } from "./state.js";
export { readSandboxState, sandboxHealthy } from "./state.js";
export { ensureStandins } from "./network.js";
export { ensureDocker } from "./docker.js";

/**
 * Where SSH goes for the sandbox's hosts, built from the lab's names, never read back from
 * .lab/sandbox/<lab>/inventory.json (written for people and tools): a proxy command from a
 * file in the working directory would run as root.
 */
function sandboxAccess(lab: Lab): AccessFiles {
  const dir = sandboxDir(lab.name);
  return {
    identityFile: join(dir, "id_ed25519"),
    knownHostsFile: join(dir, "known_hosts"),
    hosts: lab.hosts.map((h) => ({
      name: h.name,
      sshHost: h.name,
      proxyCommand: proxyCommand(hostNetns(lab.name, h.name)),
    })),
  };
}

export const sandboxInventory = (lab: Lab): Inventory => accessInventory(sandboxAccess(lab));

const FILES = [
  "hosts",
  "state.json",
  "inventory.json",
  "known_hosts",
  "ssh_config",
  "id_ed25519",
  "id_ed25519.pub",
  "authorized_keys",
];

/**
 * Remove every process, namespace, cgroup and file of this lab's sandbox: the objects named
 * after the lab file's hosts and after those state.json lists (a host since dropped from the
 * file), each by its exact name. Never by prefix: tearing down lab x-al must leave x-al-2 whole.
 */
export async function destroySandbox(lab: Pick<Lab, "name" | "hosts">): Promise<{ removed: string[] }> {
  const state = await readSandboxState(lab.name);
  const removed = (await killHosts(lab.name, state?.hosts ?? [])).map((host) => `${host}: processes`);
  // state.json lies in the working directory: only names a lab file could hold are used.
  const stateHosts = (state?.hosts ?? []).map((h) => h.name).filter((h) => patterns.hostName.regex.test(h));
  const names = sandboxObjectNames(lab.name, [...lab.hosts.map((h) => h.name), ...stateHosts]);
  removed.push(...(await removeNamespaces(names.netns)));
  removed.push(...(await removeCgroups(names.cgroups)));
  const dir = sandboxDir(lab.name);
  if (existsSync(dir)) {
    for (const file of FILES) await rm(join(dir, file), { recursive: true, force: true });
    // Gone once it held only the sandbox's own files (anything else put there stays).
    await rmdir(dir).catch(() => {});
    removed.push(`files in ${dir}/`);
  }
  return { removed };
}

/**
 * A new key pair for every new sandbox: none that came with the working directory, and files
 * created afresh (a link planted in their place is removed, never written through).
 */
async function newKeyPair(dir: string, labName: string): Promise<void> {
  const key = join(dir, "id_ed25519");
  for (const file of [key, `${key}.pub`, join(dir, "authorized_keys")]) await rm(file, { force: true });
  await mustRun("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `lab-sandbox-${labName}`, "-f", key]);
  await writeFile(join(dir, "authorized_keys"), await readFile(`${key}.pub`), { flag: "wx" });
}

/** known_hosts from the keys each host's sshd made for itself at start: nothing trusted on first use. */
async function writeKnownHosts(dir: string, hosts: SandboxHostState[]): Promise<void> {
  const line = (h: SandboxHostState) =>
    `${h.name} ${readFileSync(join(h.dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`;
  await writeFile(join(dir, "known_hosts"), hosts.map(line).join("\n") + "\n");
}

/**
 * A host of this lab running with no state file here: a sandbox made from another working
 * directory (its keys and state are there). Tearing it down as leftovers would destroy what
 * someone is working on: refuse, and say where to go.
 */
async function refuseRunningElsewhere(lab: Lab): Promise<void> {
  if (await readSandboxState(lab.name)) return;
  for (const host of lab.hosts) {
    const netns = hostNetns(lab.name, host.name);
    const pids = (await runLocal("ip", ["netns", "pids", netns])).stdout.trim();
    if (pids)
      throw new LabError(
        `a sandbox of lab ${lab.name} is running (${host.name}: netns ${netns}), made from another working directory: its keys and state are in that directory's .lab/sandbox/${lab.name}/. Run lab from there (or lab sandbox destroy there; if it is what a run that stopped half-way left here, lab sandbox destroy removes it); nothing was changed`,
        "sandbox-elsewhere",
      );
  }
}

/** Create (or reuse, when healthy) the sandbox for a lab; returns its state. */
export async function createSandbox(
  lab: Lab,
  log: (line: string) => void = () => {},
  options: { vlanStandin?: boolean } = {},
): Promise<SandboxState> {
  sandboxPreconditions(lab.usesDocker);
  if (await sandboxHealthy(lab)) {
    log(`sandbox: reusing the running hosts of ${lab.name}`);
    const state = (await readSandboxState(lab.name))!;
    if (options.vlanStandin) await ensureStandins(lab, state, log);
    if (lab.usesDocker) await ensureDocker(state, log);
    return state;
  }
  await refuseRunningElsewhere(lab);
  const leftovers = await destroySandbox(lab);
  if (leftovers.removed.length > 0) log(`sandbox: removed leftovers (${leftovers.removed.join(", ")})`);

  const dir = sandboxDir(lab.name);
  refuseLinks(dir, "the sandbox's keys");
  await mkdir(join(dir, "hosts"), { recursive: true });
  await newKeyPair(dir, lab.name);
  const features = await probeKernelFeatures(probeNetns(lab.name));
  const sw = switchNetns(lab.name);
  await createSwitch(sw);
  await makeNeighbourRoom(lab, log);

  const hosts: SandboxHostState[] = [];
  for (const [i, host] of lab.hosts.entries()) {
    const netns = hostNetns(lab.name, host.name);
    const hostDir = join(dir, "hosts", host.name);
    await mkdir(join(hostDir, "log"), { recursive: true });
    await createHostNetwork(host, netns, sw, i);
    const pid1 = await startHostInit({ labName: lab.name, host: host.name, netns, hostDir, sandboxDir: dir });
    hosts.push({ name: host.name, netns, dir: hostDir, pid1 });
  }
  for (const host of hosts) {
    await waitFor(
      `sshd on ${host.name}`,
      async () => existsSync(join(host.dir, "host_key.pub")) && (await sshBanner(host.netns)),
      15_000,
      join(host.dir, "log", "init.log"),
    );
  }

  await writeKnownHosts(dir, hosts);
  // inventory.json for tools, ssh_config for people: `ssh -F .lab/sandbox/<lab>/ssh_config docker01`.
  await writeAccessFiles(sandboxAccess(lab), {
    inventory: join(dir, "inventory.json"),
    sshConfig: join(dir, "ssh_config"),
  });
  const state: SandboxState = {
    lab: lab.name,
    dir,
    switchNetns: sw,
    hosts,
    features,
    standins: {},
    createdAt: new Date().toISOString(),
  };
  await writeSandboxState(state);
  if (options.vlanStandin) await ensureStandins(lab, state, log);
  if (lab.usesDocker) await ensureDocker(state, log);
  const names = hosts.map((h) => h.name).join(", ");
  log(`sandbox: ${hosts.length} hosts up (${names}); inventory ${join(dir, "inventory.json")}`);
  return state;
}
