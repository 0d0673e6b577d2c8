// The checker as a library: run it with any fetch-compatible function, then format the report.
export { CheckOptionsError } from "./errors.ts";
export { CHECK_TIMEOUT_MS, MAX_FAILED_LOGINS } from "./defaults.ts";
export { checkServer, type CheckOptions, type ProgressEvent } from "./run.ts";
export { CASES, CASE_IDS } from "./cases/index.ts";
export type { CheckCase } from "./cases/case.ts";
export type { FetchLike } from "./exchange.ts";
export { CONTRACT_CHECK_IDS, EXPECTATION_KINDS, type ExpectationId, type Finding, type FindingId, type FindingKind } from "./finding.ts";
export {
  EXIT_CODES,
  exitCodeOf,
  type AdvisoryRecord,
  type CaseOutcome,
  type CaseResult,
  type CheckReport,
  type CheckStatus,
  type ClientCompatibility,
  type CoverageRow,
  type ExchangeRecord,
  type JudgedAgainst,
  type StopReason,
} from "./report.ts";
export { clientCompatibility } from "./clients.ts";
export { CHECK_REPORT_SCHEMA } from "./report-schema.ts";
export { formatCase, formatFooter, formatHeader, formatHuman, formatQuiet } from "./format-human.ts";
export { formatJunit } from "./format-junit.ts";
export { reproCurl } from "./repro-curl.ts";
