import { resolve } from "node:path";

/** Where a lab's sandbox keeps its files: .lab/sandbox/<lab>/ under the working directory. */
export function sandboxDir(labName: string, cwd = process.cwd()): string {
  return resolve(cwd, ".lab", "sandbox", labName);
}

/**
 * Every object outside the sandbox dir carries this prefix, so nothing but sandboxes is ever
 * touched. It is not a way to find a lab's objects: `lsb-x-al-` also starts lab x-al-2's
 * names. Those are matched by exact name only (sandboxObjectNames).
 */
export const sandboxPrefix = (labName: string): string => `lsb-${labName}-`;
export const switchNetns = (labName: string): string => `${sandboxPrefix(labName)}sw`;
export const hostNetns = (labName: string, host: string): string => `${sandboxPrefix(labName)}h-${host}`;
/** The throw-away namespace the kernel's features are tried in (features.ts). */
export const probeNetns = (labName: string): string => `${sandboxPrefix(labName)}probe`;
/** What hostinit.sh is given for the host's dockerd cgroup; dockerd puts `lsb-` in front (hostCgroup). */
export const cgroupTag = (labName: string, host: string): string => `${labName}-${host}`;
/** dockerd's --cgroup-parent (templates/sandbox/sbin/lab-sandbox-dockerd): /lsb-<lab>-<host>. */
export const hostCgroup = (labName: string, host: string): string => `lsb-${cgroupTag(labName, host)}`;

/**
 * The exact names of every namespace and cgroup a lab's sandbox can have made with these
 * hosts. Destroying a sandbox removes these and nothing else: a prefix would also take lab
 * x-al-2's objects when x-al goes, and a name cannot be split back into lab and host, since
 * both may hold '-'. So the names are built from the lab's hosts, never parsed.
 */
export function sandboxObjectNames(labName: string, hosts: Iterable<string>): { netns: string[]; cgroups: string[] } {
  const names = [...new Set(hosts)];
  return {
    netns: [switchNetns(labName), probeNetns(labName), ...names.map((h) => hostNetns(labName, h))],
    cgroups: names.map((h) => hostCgroup(labName, h)),
  };
}
