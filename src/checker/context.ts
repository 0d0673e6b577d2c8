import { toPointer, valueAt } from "../contract/json-pointer.ts";
import { OPERATIONS, operationById, operationPointer, type Operation } from "../contract/operations.ts";
import type { CodeOfStatus, ErrorStatusOf, OperationId } from "../contract/types.ts";
import { truncate } from "../text.ts";
import { EXPECTATION_KINDS, type ExpectationId, type Finding } from "./finding.ts";
import { field, NoAnswerError, send, type Exchange } from "./exchange.ts";
import { reproCurl } from "./repro-curl.ts";
import { EarlyEnd } from "./early-end.ts";
import type { RunState } from "./run-state.ts";
import { throwawayEmail } from "./throwaway.ts";
import { requestFor, requestPath, type RequestSpec, type Secret } from "./request.ts";
import { PASSWORD_PLACEHOLDER } from "../redact.ts";
import type { ExchangeRecord } from "./report.ts";

/** What a case sees: a way to send requests (each checked against the contract) and to record findings. */
export class CaseContext {
  readonly findings: Finding[] = [];
  readonly exchanges: ExchangeRecord[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly caseId: string,
    private readonly run: RunState,
  ) {}

  get username(): string {
    return this.run.username;
  }

  get password(): Secret {
    return this.run.password;
  }

  get wrongPassword(): string {
    return this.run.wrongPassword;
  }

  /** Whether the server reported a feature level below `level` (then what that level added is not expected). */
  below(level: number): boolean {
    return this.run.below(level);
  }

  /** The run's server_settings exchange (sent before any case), recorded by the first case that judges it. */
  settings(): Exchange {
    if (!this.run.settings) throw new Error("server_settings is asked for before any case");
    return this.run.settings;
  }

  /** Sends a request; its answer is checked against the contract and every violation is recorded. */
  async send(spec: RequestSpec): Promise<Exchange> {
    return this.record(await this.transport(spec));
  }

  /** Sends a request and returns what came back, recording nothing but the request count. */
  async transport(spec: RequestSpec): Promise<Exchange> {
    this.run.onRequest(this.caseId, spec);
    this.run.requests++;
    const started = performance.now();
    try {
      const exchange = await send(this.run.fetch, this.run.baseUrl, spec, this.run.timeoutMs);
      this.run.answered = true;
      const key = field(exchange, "api_key");
      if (typeof key === "string" && key !== "") this.run.masker.apiKeys.add(key);
      if (!carriesPassword(spec)) this.run.masker.addBaseline(answerText(exchange));
      return exchange;
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      if (!this.run.answered) throw new EarlyEnd({ kind: "unreachable", message: `${this.run.baseUrl}: ${error.message}` });
      const path = requestPath(spec);
      const repro = reproCurl(this.run.baseUrl, spec);
      this.exchanges.push({
        operationId: spec.operationId,
        method: spec.method,
        path,
        status: null,
        durationMs: Math.round(performance.now() - started),
        ...(spec.label ? { label: spec.label } : {}),
        repro,
      });
      this.findings.push({
        id: "request-failed",
        kind: EXPECTATION_KINDS["request-failed"],
        caseId: this.caseId,
        operationId: spec.operationId,
        method: spec.method,
        path,
        status: null,
        message: `no answer: ${error.message}`,
        responsePointer: "",
        ...this.specAt([...this.operationSpec(spec.operationId), "responses"]),
        expected: "an answer",
        actual: error.message,
        repro,
      });
      throw new EarlyEnd({ kind: "aborted" });
    }
  }

  /**
   * Records an exchange as this case's evidence: checked against the contract at the run's level and the
   * server's feature level; at the Zulip level, what falls short of the strict promises becomes an advisory.
   */
  record(exchange: Exchange, options: { statusOnly?: boolean } = {}): Exchange {
    const { spec, answer } = exchange;
    this.run.exchanges.push({ caseId: this.caseId, operationId: spec.operationId, status: answer.status });
    this.exchanges.push({
      operationId: spec.operationId,
      method: spec.method,
      path: exchange.path,
      status: answer.status,
      durationMs: exchange.durationMs,
      ...(spec.label ? { label: spec.label } : {}),
      repro: exchange.repro,
    });
    // A HEAD answer has GET's headers and no body: only its status is the case's to judge.
    if (options.statusOnly) return exchange;
    const judge = { level: this.run.level, ...(this.run.featureLevel === undefined ? {} : { featureLevel: this.run.featureLevel }) };
    for (const v of this.run.validator.validateResponse(spec.operationId, answer, judge)) {
      const { path: _contractPath, ...rest } = v;
      // The request's method, as for the cases' own findings (the contract's is the operation's).
      this.findings.push({ ...rest, kind: "contract", caseId: this.caseId, method: spec.method, path: exchange.path, repro: exchange.repro });
    }
    if (this.run.level === "zulip") {
      for (const a of this.run.validator.adviseResponse(
        spec.operationId,
        answer,
        judge.featureLevel === undefined ? {} : { featureLevel: judge.featureLevel },
      )) {
        const seen = this.run.advisories.get(a.id);
        if (seen) {
          seen.count++;
          if (!seen.caseIds.includes(this.caseId)) seen.caseIds.push(this.caseId);
          continue;
        }
        const { id: _violationId, path: _contractPath, ...evidence } = a.violation;
        this.run.advisories.set(a.id, {
          id: a.id,
          severity: a.severity,
          advice: a.advice,
          caseIds: [this.caseId],
          count: 1,
          evidence: { ...evidence, method: spec.method, path: exchange.path, repro: exchange.repro },
        });
      }
    }
    if (carriesPassword(spec) && this.run.masker.echoes(answerText(exchange))) {
      this.fail(exchange, "password-echoed", "the answer holds the password that was sent: it ends up in logs, caches and screenshots", {
        spec: [...this.operationSpec(spec.operationId), "responses"],
        expected: "no trace of the password",
        actual: `the password (shown as ${PASSWORD_PLACEHOLDER}) in the answer`,
      });
    }
    return exchange;
  }

  /** A request made once per run (see RunState.memo); this case sends it if no case has yet. */
  memo(key: string, spec: () => RequestSpec | Promise<Exchange>): Promise<Exchange> {
    return this.run.memo(key, async () => {
      const made = spec();
      return made instanceof Promise ? made : this.send(made);
    });
  }

  /** Where a pointer of the contract is written (pointer after `$ref`s, file, line). */
  specAt(segments: readonly (string | number)[]): { specPointer: string; specFile: string; specLine?: number } {
    const where = this.run.validator.contract.locate(toPointer(segments));
    return { specPointer: where.pointer, specFile: where.file, ...(where.line === undefined ? {} : { specLine: where.line }) };
  }

  /** Records a finding about an exchange. */
  fail(
    exchange: Exchange,
    id: ExpectationId,
    message: string,
    details: { spec: readonly (string | number)[]; pointer?: string; expected?: string; actual?: string },
  ): void {
    this.findings.push({
      id,
      kind: EXPECTATION_KINDS[id],
      caseId: this.caseId,
      operationId: exchange.spec.operationId,
      method: exchange.spec.method,
      path: exchange.path,
      status: exchange.answer.status,
      message,
      responsePointer: details.pointer ?? "",
      ...this.specAt(details.spec),
      ...(details.expected === undefined ? {} : { expected: truncate(details.expected) }),
      ...(details.actual === undefined ? {} : { actual: truncate(details.actual) }),
      repro: exchange.repro,
    });
  }

  /** Records `unexpected-status` unless the answer has `status`; true when it has. */
  expectStatus(exchange: Exchange, status: number, why = ""): boolean {
    const actual = exchange.answer.status;
    if (actual === status) return true;
    this.fail(exchange, "unexpected-status", `expected ${status}${why ? ` (${why})` : ""}, got ${actual}${codeOf(exchange)}`, {
      spec: this.responseSpec(exchange, status),
      expected: String(status),
      actual: `${actual} ${truncate(exchange.answer.bodyText.trim())}`,
    });
    return false;
  }

  /** Records `unexpected-value` unless the body's field at `pointer` equals `expected`; true when it does. */
  expectField(exchange: Exchange, pointer: string, expected: unknown, spec: readonly (string | number)[]): boolean {
    const actual = valueAt(exchange.json, pointer);
    if (JSON.stringify(actual) === JSON.stringify(expected)) return true;
    this.fail(exchange, "unexpected-value", `${pointer} should be ${JSON.stringify(expected)}`, {
      spec,
      pointer,
      expected: JSON.stringify(expected),
      actual: actual === undefined ? "(absent)" : JSON.stringify(actual),
    });
    return false;
  }

  /** Whether a value conforms to the schema at these pointer segments of the contract. */
  conforms(schema: readonly (string | number)[], value: unknown): boolean {
    return this.run.validator.validateValue(toPointer(schema), value).length === 0;
  }

  /**
   * Records `unexpected-value` unless the answer's `code` is `code`, one the contract pairs with `status` for
   * the operation (else it does not compile); the finding points at the contract's example of that answer.
   */
  expectCode<Op extends OperationId, S extends ErrorStatusOf<Op>>(
    exchange: Exchange,
    operation: Operation<Op>,
    status: S,
    code: CodeOfStatus<Op, S>,
    example: string,
  ): boolean {
    return this.expectField(exchange, "/code", code, this.exampleSpec(operation, status, example));
  }

  /** Pointer segments of a named example of an operation's JSON answer with this status. */
  exampleSpec(operation: Operation, status: number, name: string): (string | number)[] {
    return [...operationPointer(operation), "responses", String(status), "content", "application/json", "examples", name];
  }

  /** Pointer segments of a declared response of the exchange's operation. */
  responseSpec(exchange: Exchange, status: number, ...more: (string | number)[]): (string | number)[] {
    return [...this.operationSpec(exchange.spec.operationId), "responses", String(status), ...more];
  }

  /** Pointer segments of an operation in the contract (its declared path and method, whatever a case sent). */
  operationSpec(operationId: OperationId): string[] {
    return [...operationPointer(operationById(operationId))];
  }

  /** Shown under the case even when it passes. */
  note(text: string): void {
    this.notes.push(text);
  }

  /** Ends the case as "not checked because <reason>". */
  notChecked(reason: string): never {
    throw new EarlyEnd({ kind: "not-checked", reason });
  }

  /**
   * The login with the given credentials, sent once per run before any other use of the password. A refusal
   * (401) or a limit (429) stops the whole run: every further attempt would spend the account's.
   */
  login(): Promise<Exchange> {
    return this.memo("login", async () => {
      const exchange = await this.transport(loginSpec(this.username, this.password, "login with the given credentials"));
      const status = exchange.answer.status;
      if (status === 401 || status === 429) throw stopFor(exchange, this.username, this.run.masker.server.bind(this.run.masker));
      return this.record(exchange);
    });
  }

  /** The login's answer and key, or "not checked" when it was not a 200 with a key. */
  async successfulLogin(): Promise<{ login: Exchange; apiKey: string }> {
    const login = await this.login();
    const apiKey = field(login, "api_key");
    if (login.answer.status !== 200 || typeof apiKey !== "string") {
      this.notChecked(`the login with the given credentials did not succeed (it was answered ${login.answer.status}; see fetch-api-key.success)`);
    }
    return { login, apiKey };
  }

  /** A fresh throwaway email address. */
  throwawayEmail(): string {
    return throwawayEmail(this.username);
  }
}

/** Whether a request sends the account's password (a secret). */
const carriesPassword = (spec: RequestSpec) =>
  [...(spec.body?.fields ?? []), ...(spec.query ?? [])].some(([, v]) => typeof v !== "string" && v.placeholder === PASSWORD_PLACEHOLDER);

/** The whole answer as text: header values and body. */
const answerText = (exchange: Exchange) => [...[...exchange.answer.headers].map(([k, v]) => `${k}: ${v}`), exchange.answer.bodyText].join("\n");

/** " CODE" for an answer with a Zulip error code (only an upper-case code: the text is the checker's). */
function codeOf(exchange: Exchange): string {
  const code = field(exchange, "code");
  return typeof code === "string" && /^[A-Z_]{1,64}$/.test(code) ? ` ${code}` : "";
}

/** Why a refused first login stops the run, in one line that names the problem. */
function stopFor(exchange: Exchange, username: string, mask: (text: string) => string): EarlyEnd {
  const status = exchange.answer.status;
  const answered = `${status}${codeOf(exchange)}`;
  const msg = field(exchange, "msg");
  const said = typeof msg === "string" && msg !== "" ? `: "${truncate(mask(msg))}"` : "";
  if (status === 401) {
    const code = field(exchange, "code");
    const problem =
      code === "AUTHENTICATION_FAILED" || code === undefined
        ? `the password for ${username} was refused; check it (and the username) and run again`
        : `the login for ${username} was refused (${String(code)}), so the password cannot be checked`;
    return new EarlyEnd({
      kind: "stopped",
      status: "password-refused",
      reason: {
        message: `${problem}. Nothing else was checked, to spare the account's attempts (server answered ${answered}${said})`,
        answered,
      },
    });
  }
  const seconds = retryAfter(exchange);
  const when =
    seconds === undefined ? "" : ` Retry after ${new Date(Date.now() + seconds * 1000).toISOString().slice(11, 16)} UTC (in ${Math.ceil(seconds / 60)} min).`;
  return new EarlyEnd({
    kind: "stopped",
    status: "rate-limited",
    reason: {
      message: `the server is refusing logins for ${username} for now: too many attempts (the rate limit, not necessarily the password).${when} Nothing was checked (server answered ${answered}${said})`,
      answered,
      ...(seconds === undefined ? {} : { retryAfterSeconds: seconds, retryAt: new Date(Date.now() + seconds * 1000).toISOString() }),
    },
  });
}

/** Seconds until a limited login may be tried again: the Retry-After header, or the body's retry-after. */
function retryAfter(exchange: Exchange): number | undefined {
  const candidates = [Number(exchange.answer.headers.get("retry-after") ?? NaN), Number(field(exchange, "retry-after") ?? NaN)];
  const seconds = candidates.find((n) => Number.isFinite(n) && n >= 0);
  return seconds === undefined ? undefined : Math.ceil(seconds);
}

/** A urlencoded fetch_api_key request. */
export function loginSpec(username: string, password: string | Secret, label: string): RequestSpec {
  return requestFor(OPERATIONS.fetchApiKey, {
    body: {
      kind: "form",
      fields: [
        ["username", username],
        ["password", password],
      ],
    },
    label,
  });
}
