import { configDefaults, defineConfig } from "vitest/config";

const BENCH = "test/bench.test.ts";

export default defineConfig({
  test: {
    globalSetup: ["test/global-setup.ts"],
    // Two test files at a time: most tests wait on processes and sockets, not on the CPU (measured on 2 cores:
    // 140 s instead of 208 s for the whole suite, every test passing).
    maxWorkers: 2,
    // Generous caps, not timings: on a loaded 2-core machine a test that spawns processes can take long.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "suite", include: ["test/**/*.test.ts"], exclude: [...configDefaults.exclude, BENCH], sequence: { groupOrder: 0 } } },
      // The benchmark's quick run saturates both cores for half a minute: alone, after everything else, so that
      // it never slows another file's processes and timeouts.
      { extends: true, test: { name: "bench", include: [BENCH], sequence: { groupOrder: 1 } } },
    ],
  },
});
