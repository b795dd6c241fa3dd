import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The installed package's own files (templates/, labs/, package.json) are found from this
 * module's place, never from the working directory: src/ and dist/ sit side by side under the
 * package root, in a clone and in `npm install -g` alike.
 */
export const packageRoot: string = join(dirname(fileURLToPath(import.meta.url)), "..");

export function templatePath(...parts: string[]): string {
  return join(packageRoot, "templates", ...parts);
}

/** The version in package.json: the one place it is written. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version;
}
