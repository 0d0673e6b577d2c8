import type { FuzzCheckId } from "./checks.ts";
import type { Phase } from "./probes.ts";

/** One distinct failure: the same check, operation, mutation class, status and pointer. */
export interface FuzzBucket {
  check: FuzzCheckId;
  operationId: string;
  mutationClass: string;
  /** null when no answer came. */
  status: number | null;
  pointer: string;
  message: string;
  expected?: string;
  actual?: string;
  /** How many requests showed it. */
  count: number;
  /** The smallest request found that shows it (after bounded shrinking), as a curl command. */
  example: { repro: string; mutationClass: string; shrunk: boolean };
  /** Where it first showed: `--fuzz-seed <seed>` replays the run, and `path` is the request's place in it. */
  replay: { seed: number; path: string };
}

/** A mutation class: how many requests of it were sent, the statuses seen, and why none was sent. */
export interface FuzzCoverageRow {
  mutationClass: string;
  sent: number;
  statuses: number[];
  /** "not exercised because …" */
  reason?: string;
}

/** Why fuzzing ended. */
export type FuzzStop =
  | { kind: "budget"; message: string }
  | { kind: "done"; message: string }
  | { kind: "throttled"; message: string }
  | { kind: "no-answers"; message: string }
  | { kind: "run-stopped"; message: string };

/** The `fuzz` section of the report. */
export interface FuzzReport {
  seed: number;
  /** The hard cap on requests (shrinking included). */
  budget: number;
  /** Requests per second; null when unpaced. */
  rate: number | null;
  sent: number;
  byPhase: Record<Phase, number>;
  /** The checks that judged (after --only and --skip). */
  checks: FuzzCheckId[];
  /** Requests the safety guard would not send (a fuzzer bug if ever above 0). */
  refusedByGuard: number;
  /** Distinct throwaway usernames used; none sent more than 3 times. */
  throwaways: number;
  stopped: FuzzStop;
  buckets: FuzzBucket[];
  coverage: FuzzCoverageRow[];
  /** --fuzz-plan: what would be sent, per operation, phase and mutation class; nothing was sent. */
  plan?: { operationId: string; phase: Phase; mutationClass: string; requests: number }[];
}
