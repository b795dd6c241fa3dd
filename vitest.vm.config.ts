import { defineConfig } from "vitest/config";

/** The VM tier alone: `npm run test:vm`. Slow (QEMU under software emulation), so separate. */
export default defineConfig({
  test: {
    setupFiles: ["test/helpers/clean-scratch.ts"],
    include: ["test/vm/**/*.test.ts"],
    testTimeout: 60 * 60_000,
    hookTimeout: 60 * 60_000,
    fileParallelism: false,
  },
});
