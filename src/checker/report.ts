import type { Finding, FindingId } from "./finding.ts";

/** How a case ended: every expectation met, at least one finding, or not run (with the reason). */
export type CaseOutcome = "passed" | "failed" | "not-checked";

/** One request of a case, as evidence. */
export interface ExchangeRecord {
  operationId: string;
  method: string;
  path: string;
  /** The status answered; null when no answer came. */
  status: number | null;
  durationMs: number;
  /** What this request is in the case, e.g. "attempt 6 of 6". */
  label?: string;
  repro: string;
}

/** The result of one case. */
export interface CaseResult {
  id: string;
  title: string;
  operations: string[];
  outcome: CaseOutcome;
  /** Why it was not checked: "not checked because …". */
  reason?: string;
  /** What a person should know even when it passed (e.g. "development server"). */
  notes: string[];
  durationMs: number;
  exchanges: ExchangeRecord[];
  findings: Finding[];
}

/** `observed`: declared and seen; `not-observed`: declared, never seen; `undeclared`: seen, not declared. */
export type CoverageState = "observed" | "not-observed" | "undeclared";

/** One cell of the coverage table: an operation and a status. */
export interface CoverageRow {
  operationId: string;
  method: string;
  path: string;
  status: number;
  declared: boolean;
  state: CoverageState;
  /** The cases whose requests were answered with this status. */
  seenBy: string[];
  /** Why a declared status was not seen: "not observed because …". */
  reason?: string;
}

/** Counts for the closing summary. */
export interface CheckSummary {
  cases: { total: number; passed: number; failed: number; notChecked: number };
  findings: { total: number; contract: number; expectation: number; security: number; byId: Partial<Record<FindingId, number>> };
  coverage: { declared: number; observed: number; notObserved: number; undeclared: number };
  requests: number;
}

/** `conformant` (exit 0), `violations` (exit 1), or `unreachable` (exit 2: nothing could be checked). */
export type CheckStatus = "conformant" | "violations" | "unreachable";

/** The whole outcome of `checkServer`, as printed by `zulip-auth check --json`. */
export interface CheckReport {
  tool: "zulip-auth check";
  /** The contract checked against. */
  contract: { file: string; version: string };
  target: { baseUrl: string; apiUrl: string; username: string };
  startedAt: string;
  durationMs: number;
  status: CheckStatus;
  /** Why the server could not be reached (status "unreachable" only). */
  unreachable?: string;
  summary: CheckSummary;
  cases: CaseResult[];
  coverage: CoverageRow[];
}

/** The process exit code for a report: 0 conformant, 1 violations, 2 unreachable. */
export function exitCodeOf(report: CheckReport): 0 | 1 | 2 {
  return report.status === "conformant" ? 0 : report.status === "violations" ? 1 : 2;
}
