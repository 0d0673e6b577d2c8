import { configDefaults, defineConfig } from "vitest/config";

const BENCH = "test/bench.test.ts";

/**
 * The unit tier: in-process tests (the app, the edge over loopback sockets, the client, the checker against
 * in-process servers), with no build, no services, no spawned CLI and no browser. Every other test file is
 * end-to-end: it runs the built CLI, the real PostgreSQL, Redis and LDAP, or the browser.
 */
const UNIT = [
  "test/architecture.test.ts",
  "test/checker-broken-servers.test.ts",
  "test/client.test.ts",
  "test/dev-fetch-api-key.test.ts",
  "test/edge.test.ts",
  "test/email.test.ts",
  "test/fetch-api-key.test.ts",
  "test/hardening-http.test.ts",
  "test/hash-queue.test.ts",
  "test/log-blocks.test.ts",
  "test/login-messages.test.ts",
  "test/malformed-input.test.ts",
  "test/options-doc.test.ts",
  "test/options-table.test.ts",
  "test/parameters.test.ts",
  "test/rate-limit.test.ts",
  "test/request-turn.test.ts",
  "test/response-checks.test.ts",
  "test/server-settings.test.ts",
  "test/spelling.test.ts",
  "test/statement-cache.test.ts",
  "test/timed-waits.test.ts",
  "test/typed-responses.test.ts",
];

export default defineConfig({
  test: {
    // Two test files at a time: most tests wait on processes and sockets, not on the CPU (measured on 2 cores:
    // 140 s instead of 208 s for the whole suite, every test passing).
    maxWorkers: 2,
    // Generous caps, not timings: on a loaded 2-core machine a test that spawns processes can take long.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      // Not isolated: the files of a worker share one module graph, so the contract's validators, ajv and the
      // password dictionaries are loaded once per worker rather than once per file (import time 13 s → 6 s). The
      // unit files change no shared state but the clock, which each gives back after its test.
      { extends: true, test: { name: "unit", include: UNIT, isolate: false, sequence: { groupOrder: 0 } } },
      // The built CLI is what users run: dist/ is built (incrementally) before the first end-to-end file.
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, BENCH, ...UNIT],
          globalSetup: ["test/global-setup.ts"],
          sequence: { groupOrder: 0 },
        },
      },
      // The benchmark's quick run saturates both cores for half a minute: alone, after everything else, so that
      // it never slows another file's processes and timeouts.
      { extends: true, test: { name: "bench", include: [BENCH], globalSetup: ["test/global-setup.ts"], sequence: { groupOrder: 1 } } },
    ],
  },
});
