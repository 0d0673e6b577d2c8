import { parsePointer, toPointer } from "../contract/json-pointer.ts";
import { OPERATIONS, operationById, operationPointer } from "../contract/operations.ts";
import type { OperationId } from "../contract/types.ts";
import { type AdvisorySeverity, isUnlistedField, UNLISTED_FIELD } from "../contract/validator.ts";
import { truncate } from "../shared/text.ts";
import { EarlyEnd } from "./early-end.ts";
import { type Exchange, field, NoAnswerError, send } from "./exchange.ts";
import { EXPECTATION_KINDS, type ExpectationId, type Finding } from "./finding.ts";
import type { ExchangeRecord } from "./report.ts";
import { reproCurl } from "./repro-curl.ts";
import { type RequestSpec, requestPath } from "./request.ts";
import type { RunState } from "./run-state.ts";

/** Where a finding points in the contract, and what it expected and saw. */
export interface FindingDetails {
  spec: readonly (string | number)[];
  pointer?: string;
  expected?: string;
  actual?: string;
}

/**
 * A case's record of the run: the requests it sent (each answer checked against the contract at the run's level
 * and the server's feature level), its findings, notes and advisories. Every answer also joins the run's
 * transcript, which the properties judge once every case has run.
 */
export class CaseRecording {
  readonly findings: Finding[] = [];
  readonly exchanges: ExchangeRecord[] = [];
  readonly notes: string[] = [];

  constructor(
    readonly caseId: string,
    protected readonly run: RunState,
  ) {}

  /** The site URL the run checks, without a trailing slash. */
  get baseUrl(): string {
    return this.run.baseUrl;
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

  /** Every answer of the run so far, with the case that sent it. */
  transcript(): readonly { caseId: string; exchange: Exchange }[] {
    return this.run.transcript;
  }

  /**
   * Sends a request; its answer is checked against the contract and every violation is recorded. A login
   * refused with 429 ends the case as not checked, since this client's address is limited (the account's own
   * limit stops the run at its first login) — unless the case provokes the limit (`limitExpected`).
   */
  async send(spec: RequestSpec, options: { limitExpected?: boolean } = {}): Promise<Exchange> {
    const exchange = this.record(await this.transport(spec));
    if (exchange.answer.status === 429 && spec.operationId === OPERATIONS.fetchApiKey.operationId && !options.limitExpected) {
      this.notChecked(this.addressLimited());
    }
    return exchange;
  }

  /** Why a case that needs more attempts stops when this client's address is limited. */
  addressLimited(): string {
    return `the server limits this address after ${this.run.failedLogins} attempts of this run (earlier runs from this address count too): a 429 that no limit of the account explains`;
  }

  /** Sends a request and returns what came back, recording nothing but the request count and the transcript. */
  async transport(spec: RequestSpec): Promise<Exchange> {
    this.run.onRequest(this.caseId, spec);
    this.run.requests++;
    const started = performance.now();
    try {
      const exchange = await send(this.run.fetch, this.run.baseUrl, spec, this.run.timeoutMs);
      this.run.answered = true;
      this.run.transcript.push({ caseId: this.caseId, exchange });
      const key = field(exchange, "api_key");
      if (typeof key === "string" && key !== "") this.run.masker.apiKeys.add(key);
      if (!this.run.carriesPassword(spec)) this.run.masker.addBaseline(answerText(exchange));
      if (spec.operationId === OPERATIONS.fetchApiKey.operationId) this.run.session.count(spec, exchange);
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
   * server's feature level; at the Zulip level, what falls short of the strict promises becomes an advisory,
   * and so does a field a success answer adds (Zulip's API grows by adding fields, and clients ignore those
   * they do not know).
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
      if (isUnlistedField(v, this.run.level)) {
        this.advise(exchange, UNLISTED_FIELD.id, UNLISTED_FIELD.severity, UNLISTED_FIELD.advice, {
          spec: parsePointer(v.specPointer),
          pointer: v.responsePointer,
          ...(v.expected === undefined ? {} : { expected: v.expected }),
          ...(v.actual === undefined ? {} : { actual: v.actual }),
        });
        continue;
      }
      // The request's method, as for the cases' own findings (the contract's is the operation's).
      this.findings.push({ ...rest, kind: "contract", caseId: this.caseId, method: spec.method, path: exchange.path, repro: exchange.repro });
    }
    if (this.run.level === "zulip") {
      for (const a of this.run.validator.adviseResponse(
        spec.operationId,
        answer,
        judge.featureLevel === undefined ? {} : { featureLevel: judge.featureLevel },
      )) {
        const { id: _violationId, path: _contractPath, ...evidence } = a.violation;
        this.addAdvisory(a.id, a.severity, a.advice, { ...evidence, method: spec.method, path: exchange.path, repro: exchange.repro });
      }
    }
    return exchange;
  }

  /** Records an advisory about an exchange: behaviour weaker than best practice, which never changes the exit code. */
  advise(exchange: Exchange, id: string, severity: AdvisorySeverity, advice: string, details: FindingDetails): void {
    this.addAdvisory(id, severity, advice, this.evidence(exchange, advice, details));
  }

  private addAdvisory(id: string, severity: AdvisorySeverity, advice: string, evidence: Omit<Finding, "id" | "kind" | "caseId">): void {
    const seen = this.run.advisories.get(id);
    if (seen) {
      seen.count++;
      if (!seen.caseIds.includes(this.caseId)) seen.caseIds.push(this.caseId);
      return;
    }
    this.run.advisories.set(id, { id, severity, advice, caseIds: [this.caseId], count: 1, evidence });
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
  fail(exchange: Exchange, id: ExpectationId, message: string, details: FindingDetails): void {
    this.findings.push({ id, kind: EXPECTATION_KINDS[id], caseId: this.caseId, ...this.evidence(exchange, message, details) });
  }

  private evidence(exchange: Exchange, message: string, details: FindingDetails): Omit<Finding, "id" | "kind" | "caseId"> {
    return {
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
    };
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
}

/** The whole answer as text: header values and body. */
export const answerText = (exchange: Exchange) => [...[...exchange.answer.headers].map(([k, v]) => `${k}: ${v}`), exchange.answer.bodyText].join("\n");
