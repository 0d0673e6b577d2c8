import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    // Generous caps, not timings: on a loaded 2-core machine a test that spawns processes can take long.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
