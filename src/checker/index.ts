// The checker as a library: run it with any fetch-compatible function, then format the report.

export type { CheckCase } from "./cases/case.ts";
export { CASE_IDS, CASES } from "./cases/index.ts";
export { clientCompatibility } from "./clients.ts";
export { CHECK_TIMEOUT_MS, MAX_FAILED_LOGINS } from "./defaults.ts";
export { CheckOptionsError } from "./errors.ts";
export type { FetchLike } from "./exchange.ts";
export { CONTRACT_CHECK_IDS, EXPECTATION_KINDS, type ExpectationId, type Finding, type FindingId, type FindingKind } from "./finding.ts";
export { formatCase, formatFooter, formatHeader, formatHuman, formatQuiet } from "./format-human.ts";
export { formatJunit } from "./format-junit.ts";
export { FUZZ_CHECK_IDS, FUZZ_CHECKS, type FuzzCheckId } from "./fuzz/checks.ts";
export type { FuzzBucket, FuzzCoverageRow, FuzzReport, FuzzStop } from "./fuzz/report.ts";
export type { FuzzOptions } from "./fuzz/run-fuzz.ts";
export {
  type AdvisoryRecord,
  type CaseOutcome,
  type CaseResult,
  type CheckReport,
  type CheckStatus,
  type ClientCompatibility,
  type CoverageRow,
  EXIT_CODES,
  type ExchangeRecord,
  exitCodeOf,
  type JudgedAgainst,
  type StopReason,
} from "./report.ts";
export { CHECK_REPORT_SCHEMA } from "./report-schema.ts";
export { reproCurl } from "./repro-curl.ts";
export { type CheckOptions, checkServer, type ProgressEvent } from "./run.ts";
