import { availableParallelism } from "node:os";
import type { HashParams } from "../src/auth/password-hasher.ts";
import { ZULIP_AUTH_RATE_LIMIT } from "../src/auth/rate-limit.ts";
import { BENCH_HASH_PARAMS, type BenchServer, runScript } from "./lib.ts";
import type { LoadOptions, LoadResult } from "./load.ts";

/** How long and how hard each benchmark runs. */
export interface BenchSettings {
  quick: boolean;
  /** Rounds per pair; each round measures both sides, the order swapped every round. */
  rounds: number;
  /** Seconds per side per round. */
  seconds: number;
  /**
   * Logins (and raw verifications) in flight: twice the cores, so every core hashes even while a connection is
   * between two requests; libuv's default pool of 4 threads runs them.
   */
  loginConcurrency: number;
  /** Connections for the server_settings throughput pair. */
  connections: number;
  /** server_settings requests per second of the latency probe (pair 3). */
  probeRate: number;
  /** Interleaved unknown-user / wrong-password pairs (pair 4). */
  enumerationPairs: number;
  /** Real logins timed during the flood (line 7). */
  floodLogins: number;
  /** Mixed requests for the memory benchmark (pair 5); RSS is read at half and at the end. */
  memoryRequests: number;
  hashParams: HashParams;
  /**
   * Rule (a) for lines 1–3 when serve's default (5 per 30 minutes) would not hold the logins in flight (more
   * than 2 cores); undefined keeps the default.
   */
  ruleA: string | undefined;
}

/** The full run (a few minutes) or the smoke test (`--quick`, well under a minute). */
export function benchSettings(quick: boolean): BenchSettings {
  const cores = availableParallelism();
  return {
    quick,
    rounds: quick ? 1 : 3,
    seconds: quick ? 1 : 5,
    loginConcurrency: 2 * cores,
    connections: 16,
    probeRate: 100,
    enumerationPairs: quick ? 15 : 150,
    floodLogins: quick ? 5 : 30,
    memoryRequests: quick ? 4_000 : 100_000,
    hashParams: BENCH_HASH_PARAMS,
    ruleA: 2 * cores < ZULIP_AUTH_RATE_LIMIT.attempts ? undefined : `${2 * cores + 1}/${ZULIP_AUTH_RATE_LIMIT.windowSeconds}`,
  };
}

/** What every benchmark gets: the settings, the running server and a way to say what it is doing. */
export interface BenchContext {
  settings: BenchSettings;
  server: BenchServer;
  progress(message: string): void;
}

/** Runs autocannon in its own process (bench/load.ts) and returns its summary. */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  return runScript<LoadResult>("load.ts", options);
}
