import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Scratch directories under the system temp dir, removed when their test file ends (the
 * afterAll in test/helpers/clean-scratch.ts). LAB_KEEP_SCRATCH=1 keeps them for a post-mortem.
 */
const created: string[] = [];

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lab-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  if (process.env.LAB_KEEP_SCRATCH === "1") {
    for (const dir of created) console.log(`kept scratch dir ${dir}`);
  } else {
    for (const dir of created) rmSync(dir, { recursive: true, force: true });
  }
  created.length = 0;
}
