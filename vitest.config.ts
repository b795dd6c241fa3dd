import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    setupFiles: ["test/helpers/clean-scratch.ts"],
    include: ["test/**/*.test.ts"],
    // The VM tier has its own config and command (npm run test:vm).
    exclude: ["test/vm/**", "node_modules/**"],
    testTimeout: 30_000,
    // A test that asserts nothing cannot fail: it fails instead.
    expect: { requireAssertions: true },
  },
});
