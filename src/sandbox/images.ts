import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { templatePath } from "../package-root.js";
import { mustRun } from "./local.js";

/**
 * The sandbox has no Docker Hub: busybox:latest and registry:2 are built from this machine's
 * busybox-static and docker-registry packages by templates/images/build-images.sh, the same
 * script the VM tier's image build runs, and imported into each host "as if pulled".
 */
export interface SandboxImage {
  ref: string;
  tarball: string;
  /** `docker import -c` changes. */
  changes: string[];
}

const NAMES = ["busybox", "registry"] as const;
const SOURCES = ["build-images.sh", "registry-config.yml", ...NAMES.map((n) => `${n}.image`)];

/** NAME.image: the reference on the first line, the `docker import -c` changes after it. */
function imageSpec(name: string): { ref: string; changes: string[] } {
  const [ref, ...changes] = readFileSync(templatePath("images", `${name}.image`), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "");
  return { ref: ref!, changes };
}

/**
 * The tarballs, cached under `cacheRoot` in a folder named by the hash of what builds them
 * (an edited build script never reuses an old build).
 */
export async function buildSandboxImages(cacheRoot: string): Promise<SandboxImage[]> {
  const hash = createHash("sha256");
  for (const file of SOURCES) hash.update(readFileSync(templatePath("images", file)));
  const dir = join(cacheRoot, hash.digest("hex").slice(0, 16));
  if (NAMES.some((name) => !existsSync(join(dir, `${name}.tar`))))
    await mustRun("bash", [templatePath("images", "build-images.sh"), "/", dir], { timeoutMs: 120_000 });
  return NAMES.map((name) => ({ ...imageSpec(name), tarball: join(dir, `${name}.tar`) }));
}
