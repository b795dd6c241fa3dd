import { existsSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Lab } from "../labfile/model.js";
import type { KernelFeatures } from "./features.js";
import { hostNetns, sandboxDir } from "./paths.js";

/** What a running sandbox is made of, kept in .lab/sandbox/<lab>/state.json. */
export interface SandboxHostState {
  name: string;
  netns: string;
  dir: string;
  /** PID (in this machine's view) of the host's PID 1 (tini). */
  pid1: number;
}

export interface SandboxState {
  lab: string;
  dir: string;
  switchNetns: string;
  hosts: SandboxHostState[];
  features: KernelFeatures;
  /** Per host: VLAN ids with a stand-in link (--vlan-standin). */
  standins: Record<string, number[]>;
  createdAt: string;
}

const stateFile = (labName: string): string => join(sandboxDir(labName), "state.json");

export async function readSandboxState(labName: string): Promise<SandboxState | undefined> {
  const file = stateFile(labName);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as SandboxState;
}

export async function writeSandboxState(state: SandboxState): Promise<void> {
  await writeFile(join(state.dir, "state.json"), JSON.stringify(state, null, 2) + "\n");
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * state.json lies in the working directory, where a lab pack could bring one of its own: a
 * host's init is trusted (kept, signalled, entered) only when it is alive in the network
 * namespace this lab's sandbox gives that host, never a PID the file merely names.
 */
export function sandboxInitAlive(labName: string, host: SandboxHostState): boolean {
  if (
    host.netns !== hostNetns(labName, host.name) ||
    !Number.isInteger(host.pid1) ||
    host.pid1 <= 1 ||
    !alive(host.pid1)
  )
    return false;
  try {
    return statSync(`/proc/${host.pid1}/ns/net`).ino === statSync(`/run/netns/${host.netns}`).ino;
  } catch {
    return false;
  }
}

/** True when every host of the lab is in the sandbox and running. */
export async function sandboxHealthy(lab: Lab): Promise<boolean> {
  const state = await readSandboxState(lab.name);
  if (!state) return false;
  const names = new Set(state.hosts.map((h) => h.name));
  return lab.hosts.every((h) => names.has(h.name)) && state.hosts.every((h) => sandboxInitAlive(lab.name, h));
}
