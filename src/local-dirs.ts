import { lstatSync } from "node:fs";
import { join, relative } from "node:path";
import { LabError } from "./errors.js";

/**
 * lab writes under the working directory's .lab/ as root (sandbox keys, logs). A .lab/ that
 * came with a cloned or shared directory may hold links to elsewhere (/etc, ~/.ssh): no part of
 * `dir` below the working directory may be a symbolic link. Parts not there yet are fine:
 * mkdir makes real directories.
 */
export function refuseLinks(dir: string, what: string, base = process.cwd()): void {
  const parts = relative(base, dir).split("/");
  for (let i = 1; i <= parts.length; i++) {
    const path = join(base, ...parts.slice(0, i));
    let link: boolean;
    try {
      link = lstatSync(path).isSymbolicLink();
    } catch {
      return;
    }
    if (link)
      throw new LabError(
        `${path} is a symbolic link; lab writes ${what} there as root and will not follow it (remove it)`,
        "local-link",
      );
  }
}
