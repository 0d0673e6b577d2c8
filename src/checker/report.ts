import type { AdvisorySeverity, ContractLevel } from "../contract/validator.ts";
import type { Finding, FindingId } from "./finding.ts";
import type { FuzzReport } from "./fuzz/report.ts";

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
  /** What the run spent of the account's budget: failed logins (near-misses) and successful logins. */
  account: { failedLogins: number; failedBudget: number; successfulLogins: number; successfulBudget: number };
}

/**
 * `conformant` (exit 0), `violations` (exit 1), `password-refused` (exit 3: the login with the given password
 * was refused, the run stopped), `rate-limited` (exit 4: the account, or this client's address, is limited for
 * now, the run stopped), `not-zulip` (exit 5: server_settings is not a Zulip answer, nothing was checked),
 * `unreachable` (exit 6: no answer at all), `no-organisation` (exit 7: a Zulip server, but the URL names no
 * organization to log in to). Exit 2 is bad usage, which never makes a report.
 */
export type CheckStatus = "conformant" | "violations" | "password-refused" | "rate-limited" | "not-zulip" | "unreachable" | "no-organisation";

/** Exit code of each status. */
export const EXIT_CODES: Readonly<Record<CheckStatus, number>> = {
  conformant: 0,
  violations: 1,
  "password-refused": 3,
  "rate-limited": 4,
  "not-zulip": 5,
  unreachable: 6,
  "no-organisation": 7,
};

/** Why a run stopped before its cases (statuses password-refused, rate-limited, not-zulip and no-organisation). */
export interface StopReason {
  /** One line for a person. */
  message: string;
  /** The status and code the server answered, e.g. "401 AUTHENTICATION_FAILED". */
  answered: string;
  /** For rate-limited: seconds until a login may be tried again, and when (ISO time). */
  retryAfterSeconds?: number;
  retryAt?: string;
}

/** What the run judged the server against. */
export interface JudgedAgainst {
  /** `zulip`: Zulip conformance (the default); `strict`: this server's own promises too (--strict). */
  level: ContractLevel;
  /** As server_settings reported them; null when it did not. */
  zulipVersion: string | null;
  featureLevel: number | null;
}

/** Behaviour a real Zulip may have that is weaker than best practice: reported, never a violation. */
export interface AdvisoryRecord {
  id: string;
  severity: AdvisorySeverity;
  advice: string;
  /** The cases whose answers showed it. */
  caseIds: string[];
  /** How many answers showed it. */
  count: number;
  /** The first answer that showed it, with the strict promise it falls short of. */
  evidence: Omit<Finding, "id" | "kind" | "caseId">;
}

/** Whether a real Zulip client can log in to this server, and why not. */
export interface ClientCompatibility {
  client: string;
  /** What the client needs, in one line. */
  needs: string;
  verdict: "yes" | "no" | "unknown";
  /** Why not (or what could not be told). */
  problems: string[];
  /** The requests and answers the verdict rests on, e.g. "GET /api/v1/server_settings → 200". */
  evidence: string[];
}

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
  /** Why the run stopped early (statuses password-refused, rate-limited, not-zulip, no-organisation). */
  stopped?: StopReason;
  judgedAgainst: JudgedAgainst;
  summary: CheckSummary;
  cases: CaseResult[];
  coverage: CoverageRow[];
  /** Zulip behaviour weaker than best practice (Zulip level only); no effect on the exit code. */
  advisories: AdvisoryRecord[];
  /** Which real clients can log in to this server. */
  clients: ClientCompatibility[];
  /** With --fuzz: the seed, budget, requests by phase, the failure buckets, why it stopped and the mutation coverage. */
  fuzz?: FuzzReport;
}

/** The process exit code for a report (see EXIT_CODES). */
export function exitCodeOf(report: CheckReport): number {
  return EXIT_CODES[report.status];
}
