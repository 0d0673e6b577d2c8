import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Two test files at a time: most tests wait on processes and sockets, not on the CPU (measured on 2 cores:
    // 140 s instead of 208 s for the whole suite, every test passing).
    maxWorkers: 2,
    // Generous caps, not timings: on a loaded 2-core machine a test that spawns processes can take long.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
