import { getContractValidator } from "../contract/validator.ts";
import { DEFAULT_TIMEOUT_MS } from "./defaults.ts";
import { API_BASE_PATH, CONTRACT_FILE } from "../contract/spec.ts";
import { CASES, type CheckCase } from "./cases/index.ts";
import { CaseContext, NotChecked } from "./context.ts";
import { RunState, ServerUnreachable } from "./run-state.ts";
import { buildCoverage } from "./coverage.ts";
import type { FetchLike } from "./exchange.ts";
import type { FindingId } from "./finding.ts";
import { API_KEY_PLACEHOLDER, PASSWORD_PLACEHOLDER, redact } from "../redact.ts";
import type { CaseResult, CheckReport, CheckSummary, CoverageRow } from "./report.ts";
import { normalizeBaseUrl, secret, type RequestSpec } from "./request.ts";

/** What `checkServer` needs. */
export interface CheckOptions {
  /** The server's site URL, e.g. "https://chat.example.com"; the API is under /api/v1. */
  baseUrl: string;
  username: string;
  password: string;
  /** Global `fetch` (the default) or any function answering a Request, such as a Hono app's `fetch`. */
  fetch?: FetchLike;
  /** Run only these case ids. */
  only?: readonly string[];
  /** Leave out these case ids. */
  skip?: readonly string[];
  /** Longest wait for one answer, in milliseconds (default 10 000). */
  timeoutMs?: number;
  onProgress?: (event: ProgressEvent) => void;
}

/** What a run reports while it goes. */
export type ProgressEvent =
  | { type: "start"; target: CheckReport["target"]; contract: CheckReport["contract"]; total: number }
  | { type: "case-start"; caseId: string; index: number; total: number }
  | { type: "request"; caseId: string; method: string; path: string; label?: string }
  | { type: "case-end"; result: CaseResult; index: number; total: number };

/** Options that make no sense (a programming or usage error, not a finding about the server). */
export class CheckOptionsError extends Error {
  override name = "CheckOptionsError";
}

export { DEFAULT_TIMEOUT_MS } from "./defaults.ts";

/**
 * Runs the checker's cases against a Zulip server and returns the report: every response checked against the
 * contract, each case's expectations, and the coverage of declared statuses. Throws only on bad options.
 */
export async function checkServer(options: CheckOptions): Promise<CheckReport> {
  const { baseUrl, cases } = validateOptions(options);
  const validator = await getContractValidator();
  const started = Date.now();
  // Progress reaches a terminal as the run goes: it is scrubbed like the report, with the keys seen so far.
  const scrub = <T>(value: T): T =>
    redact(value, [{ value: options.password, placeholder: PASSWORD_PLACEHOLDER }, ...[...run.apiKeys].map((value) => ({ value, placeholder: API_KEY_PLACEHOLDER }))]);
  const emit = (progress: ProgressEvent) => options.onProgress?.(scrub(progress));
  const onRequest = (caseId: string, spec: RequestSpec) =>
    emit({ type: "request", caseId, method: spec.method, path: `${API_BASE_PATH}${spec.path}`, ...(spec.label ? { label: spec.label } : {}) });
  const run = new RunState(
    options.fetch ?? ((request) => fetch(request)),
    baseUrl,
    options.username,
    secret(PASSWORD_PLACEHOLDER, options.password),
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    validator,
    onRequest,
  );

  const target = { baseUrl, apiUrl: `${baseUrl}${API_BASE_PATH}`, username: options.username };
  const contract = { file: CONTRACT_FILE, version: validator.contract.raw.info.version };
  emit({ type: "start", target, contract, total: cases.length });
  const results: CaseResult[] = [];
  let unreachable: string | undefined;
  for (const [i, { check, selected, reason }] of cases.entries()) {
    let result: CaseResult;
    if (!selected) result = notRun(check, reason);
    else if (unreachable !== undefined) result = notRun(check, "not checked because the server could not be reached");
    else {
      emit({ type: "case-start", caseId: check.id, index: i + 1, total: cases.length });
      const outcome = await runCase(check, run);
      if (outcome === "unreachable") {
        unreachable = run.unreachable;
        result = notRun(check, "not checked because the server could not be reached");
      } else {
        result = outcome;
      }
    }
    results.push(result);
    // Once the server is known to be unreachable, one line says so: no case is shown as if it had been looked at.
    if (unreachable === undefined) emit({ type: "case-end", result, index: i + 1, total: cases.length });
  }

  // Only Zulip's own endpoints: /healthz is this project's, and other servers need not have it.
  const checked = new Set<string>(CASES.flatMap((c) => c.operations));
  const coverage = buildCoverage(validator.operations.filter((op) => checked.has(op.operationId)), run.exchanges, CASES, results);
  const summary = summarize(results, coverage, run.requests);
  const full: CheckReport = {
    tool: "zulip-auth check",
    contract,
    target,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    status: unreachable !== undefined ? "unreachable" : summary.findings.total > 0 ? "violations" : "conformant",
    ...(unreachable !== undefined ? { unreachable } : {}),
    summary,
    cases: results,
    coverage,
  };
  // The password is never in a request's description, but a server may echo it, or a key, in any answer.
  return scrub(full);
}

function validateOptions(options: CheckOptions) {
  let url: URL;
  try {
    url = new URL(options.baseUrl);
  } catch {
    throw new CheckOptionsError(`not a URL: ${options.baseUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CheckOptionsError(`the base URL must be http or https, not ${url.protocol}`);
  if (url.search || url.hash) throw new CheckOptionsError("the base URL is the site's URL, without a query string or fragment");
  if (url.pathname.replace(/\/+$/, "").endsWith(API_BASE_PATH)) {
    throw new CheckOptionsError(`give the site's URL, without ${API_BASE_PATH} (the checker adds it)`);
  }
  if (options.username.trim() === "") throw new CheckOptionsError("the username is empty");
  if (options.password === "") throw new CheckOptionsError("the password is empty");
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new CheckOptionsError("the timeout must be a whole number of milliseconds above 0");
  }
  const known = new Set(CASES.map((c) => c.id));
  for (const id of [...(options.only ?? []), ...(options.skip ?? [])]) {
    if (!known.has(id)) throw new CheckOptionsError(`no case ${id}; the cases are: ${[...known].join(", ")}`);
  }
  const only = options.only && options.only.length > 0 ? new Set(options.only) : undefined;
  const skip = new Set(options.skip ?? []);
  const cases = CASES.map((check) => {
    if (skip.has(check.id)) return { check, selected: false, reason: "not checked because it was left out with --skip" };
    if (only && !only.has(check.id)) return { check, selected: false, reason: "not checked because it was not named in --only" };
    return { check, selected: true, reason: "" };
  });
  if (!cases.some((c) => c.selected)) throw new CheckOptionsError("--only and --skip leave no case to run");
  return { baseUrl: normalizeBaseUrl(url.href), cases };
}

async function runCase(check: CheckCase, run: RunState): Promise<CaseResult | "unreachable"> {
  const ctx = new CaseContext(check.id, run);
  const started = performance.now();
  let reason: string | undefined;
  try {
    await check.run(ctx);
  } catch (error) {
    if (error instanceof ServerUnreachable) {
      run.unreachable = error.message;
      return "unreachable";
    }
    if (error instanceof NotChecked) reason = `not checked because ${error.message}`;
    else if (!CaseContext.isAborted(error)) throw error;
  }
  const failed = ctx.findings.length > 0;
  return {
    id: check.id,
    title: check.title,
    operations: check.operations,
    // Findings made before a case found it could not go on still count.
    outcome: failed ? "failed" : reason ? "not-checked" : "passed",
    ...(reason ? { reason } : {}),
    notes: ctx.notes,
    durationMs: Math.round(performance.now() - started),
    exchanges: ctx.exchanges,
    findings: ctx.findings,
  };
}

function notRun(check: CheckCase, reason: string): CaseResult {
  return { id: check.id, title: check.title, operations: check.operations, outcome: "not-checked", reason, notes: [], durationMs: 0, exchanges: [], findings: [] };
}

function summarize(results: readonly CaseResult[], coverage: readonly CoverageRow[], requests: number): CheckSummary {
  const findings = results.flatMap((r) => r.findings);
  const byId: Partial<Record<FindingId, number>> = {};
  for (const f of findings) byId[f.id] = (byId[f.id] ?? 0) + 1;
  const count = <T>(items: readonly T[], test: (item: T) => boolean) => items.filter(test).length;
  return {
    cases: {
      total: results.length,
      passed: count(results, (r) => r.outcome === "passed"),
      failed: count(results, (r) => r.outcome === "failed"),
      notChecked: count(results, (r) => r.outcome === "not-checked"),
    },
    findings: {
      total: findings.length,
      contract: count(findings, (f) => f.kind === "contract"),
      expectation: count(findings, (f) => f.kind === "expectation"),
      security: count(findings, (f) => f.kind === "security"),
      byId,
    },
    coverage: {
      declared: count(coverage, (c) => c.declared),
      observed: count(coverage, (c) => c.state === "observed"),
      notObserved: count(coverage, (c) => c.state === "not-observed"),
      undeclared: count(coverage, (c) => c.state === "undeclared"),
    },
    requests,
  };
}
