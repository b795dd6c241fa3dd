import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    setupFiles: ["test/helpers/clean-scratch.ts"],
    include: ["test/**/*.test.ts"],
    // The VM tier has its own config and command (npm run test:vm).
    exclude: ["test/vm/**", "node_modules/**"],
    testTimeout: 30_000,
    // Sandbox tests make their hosts (sshd and a dockerd each) in beforeAll: 5 s idle, 18 s
    // measured on the 2 loaded cores of a clean-clone run, past the 10 s default.
    hookTimeout: 60_000,
    // A test that asserts nothing cannot fail: it fails instead.
    expect: { requireAssertions: true },
  },
});
