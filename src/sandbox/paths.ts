import { resolve } from "node:path";

/** Where a lab's sandbox keeps its files: .lab/sandbox/<lab>/ under the working directory. */
export function sandboxDir(labName: string, cwd = process.cwd()): string {
  return resolve(cwd, ".lab", "sandbox", labName);
}

/** Every object outside the sandbox dir carries this prefix, so leftovers are found and nothing else is touched. */
export const sandboxPrefix = (labName: string): string => `lsb-${labName}-`;
export const switchNetns = (labName: string): string => `${sandboxPrefix(labName)}sw`;
export const hostNetns = (labName: string, host: string): string => `${sandboxPrefix(labName)}h-${host}`;
