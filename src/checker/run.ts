import { OPERATIONS } from "../contract/operations.ts";
import { API_BASE_PATH, CONTRACT_FILE } from "../contract/spec.ts";
import { getContractValidator } from "../contract/validator.ts";
import { PASSWORD_PLACEHOLDER } from "../shared/redact.ts";
import { isJsonObject } from "../shared/text.ts";
import { isHttp, parseUrl } from "../shared/url.ts";
import { CaseContext } from "./case-context.ts";
import { CASES, type CheckCase } from "./cases/index.ts";
import { clientCompatibility } from "./clients.ts";
import { buildCoverage } from "./coverage.ts";
import { CHECK_TIMEOUT_MS, MAX_FAILED_LOGINS } from "./defaults.ts";
import { EarlyEnd, type EndReason } from "./early-end.ts";
import { CheckOptionsError } from "./errors.ts";
import { type Exchange, type FetchLike, field } from "./exchange.ts";
import type { Finding, FindingId } from "./finding.ts";
import { FUZZ_CHECK_IDS, type FuzzCheckId } from "./fuzz/checks.ts";
import type { FuzzReport } from "./fuzz/report.ts";
import { defaultRate, type FuzzOptions, fuzzPlan, learnedFrom, randomSeed, runFuzz } from "./fuzz/run-fuzz.ts";
import { LoginSession, SUCCESSFUL_LOGINS } from "./login-session.ts";
import { Masker } from "./mask.ts";
import type { CaseResult, CheckReport, CheckStatus, CheckSummary, CoverageRow, StopReason } from "./report.ts";
import { normalizeBaseUrl, type RequestSpec, requestFor, secret } from "./request.ts";
import { RunState } from "./run-state.ts";

/** What `checkServer` needs. */
export interface CheckOptions {
  /** The server's site URL, e.g. "https://chat.example.com"; the API is under /api/v1. */
  baseUrl: string;
  username: string;
  password: string;
  /** Global `fetch` (the default) or any function answering a Request, such as a Hono app's `fetch`. */
  fetch?: FetchLike;
  /** Run only these case ids and fuzz check ids. */
  only?: readonly string[];
  /** Leave out these case ids and fuzz check ids. */
  skip?: readonly string[];
  /** After the cases, probe with generated requests within a budget (`check --fuzz N`); see docs/checker.md. */
  fuzz?: FuzzOptions;
  /** Longest wait for one answer, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Hold the server to zulip-auth's own promises too, not only to Zulip's (default false). */
  strict?: boolean;
  /** Failed logins the run may spend on the account, each a near-miss of the password: 1 (the default) to 4. */
  failedLogins?: number;
  onProgress?: (event: ProgressEvent) => void;
}

/** What a run reports while it goes. */
export type ProgressEvent =
  | { type: "start"; target: CheckReport["target"]; contract: CheckReport["contract"]; judgedAgainst: CheckReport["judgedAgainst"]; total: number }
  | { type: "case-start"; caseId: string; index: number; total: number }
  | { type: "request"; caseId: string; method: string; path: string; label?: string }
  | { type: "case-end"; result: CaseResult; index: number; total: number };

/**
 * Runs the checker's cases against a Zulip server and returns the report: every response checked against the
 * contract at the Zulip level (or strict), each case's expectations, the coverage of declared statuses, the
 * advisories and which real clients can log in. Throws only on bad options.
 */
export async function checkServer(options: CheckOptions): Promise<CheckReport> {
  const { baseUrl, cases, fuzzChecks } = validateOptions(options);
  const validator = await getContractValidator();
  const started = Date.now();
  const seed = options.fuzz?.seed ?? randomSeed();
  if (options.fuzz?.plan) return planReport(options, baseUrl, validator, cases, fuzzChecks, seed, started);
  const masker = new Masker(options.password);
  const emit = (progress: ProgressEvent) =>
    options.onProgress?.(progress.type === "case-end" ? { ...progress, result: maskResult(progress.result, masker) } : progress);
  // Requests are announced by our own words (method, path, label): nothing of the server's to mask.
  const onRequest = (caseId: string, spec: RequestSpec) =>
    emit({ type: "request", caseId, method: spec.method, path: `${API_BASE_PATH}${spec.path}`, ...(spec.label ? { label: spec.label } : {}) });
  const level = options.strict ? "strict" : "zulip";
  const password = secret(PASSWORD_PLACEHOLDER, options.password);
  const session = new LoginSession(options.username, password, options.failedLogins ?? 1);
  for (const miss of session.nearMisses) masker.addSecret(miss.value, miss.placeholder);
  const run = new RunState(
    options.fetch ?? ((request) => fetch(request)),
    baseUrl,
    options.username,
    password,
    options.timeoutMs ?? CHECK_TIMEOUT_MS,
    validator,
    level,
    masker,
    onRequest,
    session,
  );

  const target = { baseUrl, apiUrl: `${baseUrl}${API_BASE_PATH}`, username: options.username };
  const contract = { file: CONTRACT_FILE, version: validator.contract.raw.info.version };
  const results: CaseResult[] = [];
  let unreachable: string | undefined;
  let stop: { status: CheckStatus; reason: StopReason } | undefined;
  const judged = () => ({ level, zulipVersion: run.zulipVersion ?? null, featureLevel: run.featureLevel ?? null }) as const;

  // Before any case: is this a Zulip server, and which version? Then the login, the first use of the password.
  // Each case's context exists from the start: the login is sent before any case, as the first case that
  // needs it, so that evidence of a login without an answer lands where it belongs.
  const contexts = new Map(cases.map(({ check }) => [check.id, new CaseContext(check.id, run)]));
  const preflight = new CaseContext("preflight", run);
  const loginCase = cases.find((c) => c.selected && c.check.usesPassword);
  try {
    run.settings = await preflight.transport(requestFor(OPERATIONS.getServerSettings, { label: "server settings" }));
    const notZulip = whyNotZulip(run.settings);
    const noOrganization = notZulip === undefined ? whyNoOrganization(run.settings, baseUrl) : undefined;
    if (notZulip)
      stop = {
        status: "not-zulip",
        reason: {
          message: `${baseUrl} is not a Zulip server: GET ${OPERATIONS.getServerSettings.url} ${notZulip}`,
          answered: String(run.settings.answer.status),
        },
      };
    else if (noOrganization) stop = { status: "no-organisation", reason: { message: noOrganization, answered: String(run.settings.answer.status) } };
    else {
      const level = field(run.settings, "zulip_feature_level");
      if (typeof level === "number" && Number.isInteger(level)) run.featureLevel = level;
      // whyNotZulip made sure it is a string.
      const version = field(run.settings, "zulip_version");
      if (typeof version === "string") run.zulipVersion = version;
      emit({ type: "start", target, contract, judgedAgainst: judged(), total: cases.length });
      if (loginCase) await contexts.get(loginCase.check.id)!.login();
    }
  } catch (error) {
    if (!(error instanceof EarlyEnd)) throw error;
    const { end } = error;
    if (end.kind === "unreachable") unreachable = end.message;
    else if (end.kind === "stopped") stop = { status: end.status, reason: end.reason };
    else if (end.kind !== "aborted") throw error;
  }

  for (const [i, { check, selected, reason }] of cases.entries()) {
    let result: CaseResult;
    if (!selected) result = notRun(check, reason);
    else if (unreachable !== undefined) result = notRun(check, "not checked because the server could not be reached");
    else if (stop !== undefined) result = notRun(check, `not checked because the run stopped: ${stop.status}`);
    else {
      emit({ type: "case-start", caseId: check.id, index: i + 1, total: cases.length });
      const outcome = await runCase(check, run, contexts.get(check.id)!);
      if (outcome === "unreachable") {
        unreachable = run.unreachable;
        result = notRun(check, "not checked because the server could not be reached");
      } else if ("stop" in outcome) {
        stop = outcome.stop;
        result = notRun(check, `not checked because the run stopped: ${stop.status}`);
      } else {
        result = outcome;
      }
    }
    results.push(result);
    // Once the run cannot go on, one line says why: no case is shown as if it had been looked at.
    if (unreachable === undefined && stop === undefined) emit({ type: "case-end", result, index: i + 1, total: cases.length });
  }

  // Only Zulip's own endpoints: /healthz is this project's, and other servers need not have it.
  const checked = new Set<string>(CASES.flatMap((c) => c.operations));
  const coverage = buildCoverage(
    validator.operations.filter((op) => checked.has(op.operationId)),
    run.exchanges,
    CASES,
    results,
  );
  const halted = unreachable !== undefined || stop !== undefined;
  let fuzz: FuzzReport | undefined;
  if (options.fuzz && !halted) {
    fuzz = await runFuzz(
      {
        options: options.fuzz,
        checks: fuzzChecks,
        fetch: run.fetch,
        baseUrl,
        timeoutMs: run.timeoutMs,
        validator,
        level,
        featureLevel: run.featureLevel,
        settings: run.settings?.json,
        username: options.username,
        password: options.password,
        onRequest: (spec) => onRequest("fuzz", spec),
        onApiKey: (key) => masker.apiKeys.add(key),
      },
      seed,
    );
    fuzz = {
      ...fuzz,
      buckets: fuzz.buckets.map((b) => ({ ...b, message: masker.keys(b.message), ...(b.actual === undefined ? {} : { actual: masker.server(b.actual) }) })),
    };
  } else if (options.fuzz) {
    fuzz = notFuzzed(
      options.fuzz,
      fuzzChecks,
      seed,
      baseUrl,
      `not fuzzed because the run stopped: ${unreachable !== undefined ? "unreachable" : stop!.status}`,
    );
  }
  const summary = summarize(results, coverage, run.requests + (fuzz?.sent ?? 0), session);
  const login = await loginIfMade(run);
  const settings = run.settings?.json;
  const report: CheckReport = {
    tool: "zulip-auth check",
    contract,
    target,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    status:
      unreachable !== undefined
        ? "unreachable"
        : stop !== undefined
          ? stop.status
          : summary.findings.total > 0 || (fuzz?.buckets.length ?? 0) > 0
            ? "violations"
            : "conformant",
    ...(unreachable !== undefined ? { unreachable } : {}),
    ...(stop !== undefined ? { stopped: { ...stop.reason, message: masker.server(stop.reason.message) } } : {}),
    judgedAgainst: judged(),
    summary,
    cases: results.map((r) => maskResult(r, masker)),
    coverage,
    advisories: halted ? [] : [...run.advisories.values()].map((a) => ({ ...a, evidence: maskEvidence(a.evidence, masker) })),
    clients: halted
      ? []
      : clientCompatibility({ settings: isJsonObject(settings) ? settings : undefined, login, transcript: run.transcript.map((t) => t.exchange) }).map((c) => ({
          ...c,
          problems: c.problems.map((p) => masker.server(p)),
        })),
    ...(fuzz ? { fuzz } : {}),
  };
  return report;
}

/** Whether an answer is a Zulip JSON error: `{"result": "error", "msg": …, "code": …}`. */
const isZulipError = (exchange: Exchange) =>
  field(exchange, "result") === "error" && typeof field(exchange, "msg") === "string" && typeof field(exchange, "code") === "string";

/** Why an answer to server_settings is not a Zulip server's: undefined when it is one. */
function whyNotZulip(exchange: Exchange): string | undefined {
  const { status, headers } = exchange.answer;
  const type = headers.get("content-type") ?? "no Content-Type";
  // A Zulip JSON 400 is Zulip's own answer for a URL without an organization (see whyNoOrganization).
  if (status === 400 && isZulipError(exchange)) return undefined;
  if (status !== 200) return `answered ${status} (${type}), where a Zulip server answers 200 with its settings`;
  if (!isJsonObject(exchange.json)) return `answered ${type} that is not a JSON object`;
  if (typeof field(exchange, "zulip_version") !== "string") return "answered JSON without a zulip_version";
  return undefined;
}

/**
 * Why the URL names no organization to log in to (a healthy Zulip asked at the wrong URL): undefined when it
 * names one. Two shapes, both from zerver/views/auth.py:
 * - the root of a server with several organizations and none at its root: get_server_settings leaves out the
 *   organization's realm_name, realm_icon and realm_description, and api_fetch_api_key answers every login
 *   404 NONEXISTENT_SUBDOMAIN (`if realm is None: raise InvalidSubdomainError`);
 * - a root with ROOT_DOMAIN_LANDING_PAGE (Zulip Cloud's), or an unknown subdomain: get_auth_backends_data
 *   raises the JSON 400 "Subdomain required" (or "Invalid subdomain").
 */
function whyNoOrganization(exchange: Exchange, baseUrl: string): string | undefined {
  const advice = "pass the URL of one of its organizations instead (e.g. https://<organization>.<host>)";
  if (exchange.answer.status === 400) {
    return `${baseUrl} is a Zulip server, but the URL names no organization to log in to (server_settings answered 400 "${String(field(exchange, "msg"))}"): ${advice}.`;
  }
  const organizationFields = ["realm_name", "realm_icon", "realm_description"];
  if (organizationFields.every((name) => field(exchange, name) === undefined)) {
    return `${baseUrl} is the root of a Zulip server with several organizations and none at its root (server_settings has no realm_name, realm_icon or realm_description, and Zulip answers every login there 404 NONEXISTENT_SUBDOMAIN): ${advice}.`;
  }
  return undefined;
}

/** The run's login, when one was made and answered. */
async function loginIfMade(run: RunState): Promise<Exchange | undefined> {
  return run.hasMemo("login") ? run.memo("login", () => Promise.reject(new Error("unreachable"))).catch(() => undefined) : undefined;
}

/** Server text in a result (expected and actual values) with the secrets hidden; our ids and titles untouched. */
function maskResult(result: CaseResult, masker: Masker): CaseResult {
  return { ...result, notes: result.notes.map((n) => masker.keys(n)), findings: result.findings.map((f) => ({ ...f, ...maskEvidence(f, masker) })) };
}

function maskEvidence<T extends Pick<Finding, "expected" | "actual" | "message">>(f: T, masker: Masker): T {
  return {
    ...f,
    message: masker.keys(f.message),
    ...(f.expected === undefined ? {} : { expected: masker.server(f.expected) }),
    ...(f.actual === undefined ? {} : { actual: masker.server(f.actual) }),
  };
}

function validateOptions(options: CheckOptions) {
  const url = parseUrl(options.baseUrl);
  if (!url) throw new CheckOptionsError(`not a URL: ${options.baseUrl}`);
  if (!isHttp(url)) throw new CheckOptionsError(`the base URL must be http or https, not ${url.protocol}`);
  if (url.search || url.hash) throw new CheckOptionsError("the base URL is the site's URL, without a query string or fragment");
  if (url.pathname.replace(/\/+$/, "").endsWith(API_BASE_PATH)) {
    throw new CheckOptionsError(`give the site's URL, without ${API_BASE_PATH} (the checker adds it)`);
  }
  if (options.username.trim() === "") throw new CheckOptionsError("the username is empty");
  if (options.password === "") throw new CheckOptionsError("the password is empty");
  if (
    options.failedLogins !== undefined &&
    !(Number.isInteger(options.failedLogins) && options.failedLogins >= 1 && options.failedLogins <= MAX_FAILED_LOGINS)
  ) {
    throw new CheckOptionsError(`the failed logins to spend must be a whole number from 1 to ${MAX_FAILED_LOGINS} (Zulip allows 5 per 30 minutes)`);
  }
  if (options.timeoutMs !== undefined && !(Number.isInteger(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new CheckOptionsError("the timeout must be a whole number of milliseconds above 0");
  }
  const fuzzChecks = validateFuzz(options);
  const known = new Set(CASES.map((c) => c.id));
  const fuzzIds = new Set<string>(FUZZ_CHECK_IDS);
  for (const id of [...(options.only ?? []), ...(options.skip ?? [])]) {
    if (fuzzIds.has(id) && !options.fuzz) throw new CheckOptionsError(`${id} is a check of fuzzing: add --fuzz N to run it`);
    if (!known.has(id) && !fuzzIds.has(id))
      throw new CheckOptionsError(`no case ${id}; the cases are: ${[...known].join(", ")}; the fuzz checks (with --fuzz): ${FUZZ_CHECK_IDS.join(", ")}`);
  }
  const onlyNamed = (options.only ?? []).filter((id) => known.has(id));
  // --only naming fuzz checks alone runs no case: fuzzing learns what it needs from server_settings.
  const onlyFuzz = (options.only ?? []).length > 0 && onlyNamed.length === 0;
  const only = options.only && options.only.length > 0 ? new Set(options.only) : undefined;
  const skip = new Set(options.skip ?? []);
  const cases = CASES.map((check) => {
    if (skip.has(check.id)) return { check, selected: false, reason: "not checked because it was left out with --skip" };
    if (only && !only.has(check.id)) return { check, selected: false, reason: "not checked because it was not named in --only" };
    return { check, selected: true, reason: "" };
  });
  if (!cases.some((c) => c.selected) && !(onlyFuzz && fuzzChecks.length > 0)) throw new CheckOptionsError("--only and --skip leave no case to run");
  if (options.fuzz && fuzzChecks.length === 0) throw new CheckOptionsError("--only and --skip leave no fuzz check to run");
  return { baseUrl: normalizeBaseUrl(url.href), cases, fuzzChecks };
}

/** The fuzz checks --only and --skip select (all unless --only names some); throws on bad fuzz options. */
function validateFuzz(options: CheckOptions): FuzzCheckId[] {
  const fuzz = options.fuzz;
  if (!fuzz) return [];
  if (!(Number.isInteger(fuzz.budget) && fuzz.budget >= 1)) throw new CheckOptionsError("the fuzz budget must be a whole number of requests above 0");
  if (fuzz.seed !== undefined && !(Number.isInteger(fuzz.seed) && fuzz.seed >= 0 && fuzz.seed < 2 ** 31))
    throw new CheckOptionsError("the fuzz seed must be a whole number from 0 to 2147483647");
  if (fuzz.rate !== undefined && !(Number.isFinite(fuzz.rate) && fuzz.rate >= 0))
    throw new CheckOptionsError("the fuzz rate must be a number of requests per second, 0 for unpaced");
  const named = (options.only ?? []).filter((id): id is FuzzCheckId => (FUZZ_CHECK_IDS as readonly string[]).includes(id));
  const skip = new Set(options.skip ?? []);
  return (named.length > 0 ? named : FUZZ_CHECK_IDS).filter((id) => !skip.has(id));
}

/** The report of --fuzz-plan: no request sent, every case not checked, and what fuzzing would send. */
function planReport(
  options: CheckOptions,
  baseUrl: string,
  validator: Awaited<ReturnType<typeof getContractValidator>>,
  cases: { check: CheckCase }[],
  fuzzChecks: FuzzCheckId[],
  seed: number,
  started: number,
): CheckReport {
  // Nothing is asked of the server: the plan assumes a production server (email usernames, no development login).
  const learned = learnedFrom(undefined);
  const plan = fuzzPlan(validator, learned, options.fuzz!.budget, seed);
  const results = cases.map(({ check }) => notRun(check, "not checked because --fuzz-plan sends nothing"));
  const level = options.strict ? "strict" : "zulip";
  return {
    tool: "zulip-auth check",
    contract: { file: CONTRACT_FILE, version: validator.contract.raw.info.version },
    target: { baseUrl, apiUrl: `${baseUrl}${API_BASE_PATH}`, username: options.username },
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    status: "conformant",
    judgedAgainst: { level, zulipVersion: null, featureLevel: null },
    summary: summarize(results, [], 0, new LoginSession(options.username, secret(PASSWORD_PLACEHOLDER, options.password), options.failedLogins ?? 1)),
    cases: results,
    coverage: [],
    advisories: [],
    clients: [],
    fuzz: {
      ...notFuzzed(options.fuzz!, fuzzChecks, seed, baseUrl, "--fuzz-plan sends nothing"),
      stopped: { kind: "done", message: "--fuzz-plan sends nothing" },
      plan,
    },
  };
}

/** The fuzz section of a run that sent no fuzz request, and why. */
function notFuzzed(fuzz: FuzzOptions, checks: FuzzCheckId[], seed: number, baseUrl: string, why: string): FuzzReport {
  return {
    seed,
    budget: fuzz.budget,
    rate: (fuzz.rate ?? defaultRate(baseUrl)) || null,
    sent: 0,
    byPhase: { examples: 0, matrix: 0, random: 0, shrink: 0 },
    checks,
    refusedByGuard: 0,
    throwaways: 0,
    stopped: { kind: "run-stopped", message: why },
    buckets: [],
    coverage: [],
  };
}

type RunStop = Extract<EndReason, { kind: "stopped" }>;

async function runCase(check: CheckCase, run: RunState, ctx: CaseContext): Promise<CaseResult | "unreachable" | { stop: Pick<RunStop, "status" | "reason"> }> {
  const started = performance.now();
  let reason: string | undefined;
  try {
    await check.run(ctx);
  } catch (error) {
    if (!(error instanceof EarlyEnd)) throw error;
    const { end } = error;
    if (end.kind === "unreachable") {
      run.unreachable = end.message;
      return "unreachable";
    }
    if (end.kind === "stopped") return { stop: { status: end.status, reason: end.reason } };
    if (end.kind === "not-checked") reason = `not checked because ${end.reason}`;
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
  return {
    id: check.id,
    title: check.title,
    operations: check.operations,
    outcome: "not-checked",
    reason,
    notes: [],
    durationMs: 0,
    exchanges: [],
    findings: [],
  };
}

function summarize(results: readonly CaseResult[], coverage: readonly CoverageRow[], requests: number, session: LoginSession): CheckSummary {
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
    account: {
      failedLogins: session.failedSpent,
      failedBudget: session.failedBudget,
      successfulLogins: session.successfulSpent,
      successfulBudget: SUCCESSFUL_LOGINS,
    },
  };
}
