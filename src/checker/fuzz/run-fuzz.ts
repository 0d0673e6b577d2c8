import { setTimeout as sleep } from "node:timers/promises";
import { OPERATIONS } from "../../contract/operations.ts";
import type { ContractLevel, ContractValidator } from "../../contract/validator.ts";
import { isJsonObject } from "../../shared/text.ts";
import { type Exchange, type FetchLike, field, NoAnswerError, send } from "../exchange.ts";
import { reproCurl } from "../repro-curl.ts";
import type { RequestSpec } from "../request.ts";
import type { FuzzCheckId } from "./checks.ts";
import { GuardRefusal, SafetyGuard, type Throwaway } from "./guard.ts";
import { type Failure, judge, type Observation, type OracleContext } from "./oracles.ts";
import { examples, matrix, type Phase, type Planned, randomRecipes, simplerRecipes } from "./probes.ts";
import { buildRequest, expectedOutcome, type Learned, MUTATION_CLASSES, mutationClass, PLAIN, type Recipe } from "./recipe.ts";
import type { FuzzBucket, FuzzCoverageRow, FuzzReport, FuzzStop } from "./report.ts";

/** What `--fuzz N` and its siblings set. */
export interface FuzzOptions {
  /** The hard cap on HTTP requests of the fuzzing, shrinking included. */
  budget: number;
  /** Replays a run: the same seed sends the same requests (throwaway markers aside). Default: random. */
  seed?: number;
  /** Sends nothing: the report's `fuzz.plan` says what would be sent. */
  plan?: boolean;
  /** Requests per second; 0 for unpaced. Default: unpaced on loopback, 1 otherwise. */
  rate?: number;
}

/** Checks whose failures are shrunk: the ones a smaller request explains best. */
const SHRUNK: readonly FuzzCheckId[] = ["no-server-error", "conforms", "parameter-equivalence"];
/** Shrinking's share: at most this many requests per failure, and this part of the budget in all. */
const SHRINK_PER_FAILURE = 10;
const SHRINK_SHARE = 0.2;
/** Timeouts or resets in a row that stop fuzzing. */
const NO_ANSWERS_IN_A_ROW = 3;

/** What the fuzzing needs of the run. */
export interface FuzzInput {
  options: FuzzOptions;
  checks: readonly FuzzCheckId[];
  fetch: FetchLike;
  baseUrl: string;
  timeoutMs: number;
  validator: ContractValidator;
  level: ContractLevel;
  featureLevel: number | undefined;
  /** server_settings' JSON, as the run first read it. */
  settings: unknown;
  username: string;
  password: string;
  onRequest: (spec: RequestSpec) => void;
  /** Called with any API key an answer holds, so that reports hide it. */
  onApiKey: (key: string) => void;
}

/** What the run learned from server_settings: the email rule (LDAP off) and whether development login is on. */
export function learnedFrom(settings: unknown): Learned {
  const methods = isJsonObject(settings) && isJsonObject(settings.authentication_methods) ? settings.authentication_methods : {};
  return { emailRule: methods.ldap !== true, devLogin: methods.dev === true };
}

/** The default pace: unpaced on loopback, 1 request per second anywhere else. */
export function defaultRate(baseUrl: string): number {
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host) ? 0 : 1;
}

/** The recipes of the first two phases, and the random ones after, for a budget and seed. */
export function planned(validator: ContractValidator, learned: Learned, budget: number, seed: number): Planned[] {
  const first = [
    ...examples(validator).map((recipe) => ({ phase: "examples" as const, recipe })),
    ...matrix(validator, learned).map((recipe) => ({ phase: "matrix" as const, recipe })),
  ];
  const random = randomRecipes(seed, Math.max(0, budget - first.length), learned).map((recipe) => ({ phase: "random" as const, recipe }));
  const counters: Partial<Record<Phase, number>> = {};
  return [...first, ...random].slice(0, budget).map(({ phase, recipe }) => {
    counters[phase] = (counters[phase] ?? 0) + 1;
    return { phase, index: counters[phase], recipe };
  });
}

/** What --fuzz-plan prints: requests per operation, phase and mutation class, before shrinking. */
export function fuzzPlan(validator: ContractValidator, learned: Learned, budget: number, seed: number): NonNullable<FuzzReport["plan"]> {
  const counts = new Map<string, { operationId: string; phase: Phase; mutationClass: string; requests: number }>();
  for (const p of planned(validator, learned, budget, seed)) {
    const operationId = p.recipe.operation === "fetch" ? OPERATIONS.fetchApiKey.operationId : OPERATIONS.devFetchApiKey.operationId;
    const key = `${operationId} ${p.phase} ${mutationClass(p.recipe)}`;
    const row = counts.get(key) ?? { operationId, phase: p.phase, mutationClass: mutationClass(p.recipe), requests: 0 };
    row.requests++;
    counts.set(key, row);
  }
  return [...counts.values()];
}

/** A fresh seed for a run that was given none. */
export const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

/**
 * Fuzzes fetch_api_key (and the development route when it is closed) within the budget: the contract's
 * examples, the coverage matrix, then fast-check's random recipes; each answer judged by the selected checks,
 * failures bucketed and the worst shrunk. Every request goes through the safety guard first.
 */
export async function runFuzz(input: FuzzInput, seed: number): Promise<FuzzReport> {
  const { options, validator } = input;
  const learned = learnedFrom(input.settings);
  const rate = options.rate ?? defaultRate(input.baseUrl);
  const guard = new SafetyGuard(input.username, input.password);
  const ctx: OracleContext = { validator, level: input.level, featureLevel: input.featureLevel, baseline: undefined };
  const byPhase: Record<Phase, number> = { examples: 0, matrix: 0, random: 0, shrink: 0 };
  const sentByClass = new Map<string, { sent: number; statuses: Set<number> }>();
  const buckets = new Map<string, FuzzBucket>();
  const remaining = new Map<string, number[]>();
  let sent = 0;
  let refusedByGuard = 0;
  let throwaways = 0;
  let noAnswers = 0;
  let nextAt = 0;
  let stop: FuzzStop | undefined;
  const shrinkCap = Math.floor(options.budget * SHRINK_SHARE);
  const shared = new Map<string, Throwaway>();

  const issue = (key?: string): Throwaway => {
    const found = key ? shared.get(key) : undefined;
    if (found) return found;
    const t = guard.issue();
    throwaways++;
    if (key) shared.set(key, t);
    return t;
  };

  /** Sends one recipe (unless a stop rule or the guard says no) and returns what came back. */
  async function probe(recipe: Recipe, phase: Phase, path: string, key?: string): Promise<{ o: Observation; spec: RequestSpec } | undefined> {
    if (stop) return undefined;
    if (sent >= options.budget) {
      stop = { kind: "budget", message: `the budget of ${options.budget} requests was spent` };
      return undefined;
    }
    const t = issue(key);
    const spec = buildRequest(recipe, t, `fuzz ${path}: ${mutationClass(recipe)}`);
    try {
      guard.admit(spec);
    } catch (error) {
      if (!(error instanceof GuardRefusal)) throw error;
      refusedByGuard++;
      return undefined;
    }
    if (rate > 0) {
      const wait = nextAt - performance.now();
      if (wait > 0) await sleep(wait);
      nextAt = performance.now() + 1000 / rate;
    }
    input.onRequest(spec);
    sent++;
    byPhase[phase]++;
    const cls = sentByClass.get(mutationClass(recipe)) ?? { sent: 0, statuses: new Set<number>() };
    cls.sent++;
    sentByClass.set(mutationClass(recipe), cls);
    const operationId = recipe.operation === "fetch" ? OPERATIONS.fetchApiKey.operationId : OPERATIONS.devFetchApiKey.operationId;
    const password = spec.body?.fields.find(([k]) => k === "password")?.[1] ?? spec.query?.find(([k]) => k === "password")?.[1] ?? "";
    const base = {
      recipe,
      outcome: expectedOutcome(recipe, learned),
      operationId,
      marker: t.marker,
      password: typeof password === "string" ? password : password.value,
      earlierRemaining: [...(remaining.get(t.marker) ?? [])],
    };
    let exchange: Exchange;
    try {
      exchange = await send(input.fetch, input.baseUrl, spec, input.timeoutMs);
    } catch (error) {
      if (!(error instanceof NoAnswerError)) throw error;
      noAnswers++;
      if (noAnswers >= NO_ANSWERS_IN_A_ROW)
        stop = { kind: "no-answers", message: `${NO_ANSWERS_IN_A_ROW} requests in a row got no answer (timeouts or resets)` };
      return { o: { ...base, noAnswer: error.message }, spec };
    }
    noAnswers = 0;
    cls.statuses.add(exchange.answer.status);
    const key200 = field(exchange, "api_key");
    if (typeof key200 === "string" && key200 !== "") input.onApiKey(key200);
    if (exchange.answer.status === 200 || typeof key200 === "string") guard.burn(t.marker);
    if (exchange.answer.status === 429 && recipe.operation === "fetch") {
      stop = { kind: "throttled", message: `throttled after ${sent} requests: the server answered 429 to a throwaway (a limit, not a violation)` };
    }
    const r = Number(exchange.answer.headers.get("x-ratelimit-remaining") ?? Number.NaN);
    if (exchange.answer.status === 401 && Number.isInteger(r)) remaining.set(t.marker, [...(remaining.get(t.marker) ?? []), r]);
    if (!ctx.baseline && recipe === PLAIN_BASELINE && exchange.answer.status === 401) ctx.baseline = exchange;
    return { o: { ...base, exchange }, spec };
  }

  /** Judges an observation into the buckets; shrinks a new failure of a shrinkable check. */
  async function record(o: Observation, spec: RequestSpec, phase: Phase, path: string): Promise<void> {
    for (const failure of judge(o, ctx, input.checks)) {
      const key = bucketKey(failure, o);
      const seen = buckets.get(key);
      if (seen) {
        seen.count++;
        continue;
      }
      const bucket: FuzzBucket = {
        check: failure.check,
        operationId: o.operationId,
        mutationClass: mutationClass(o.recipe),
        status: o.exchange?.answer.status ?? null,
        pointer: failure.pointer,
        message: failure.message,
        ...(failure.expected === undefined ? {} : { expected: failure.expected }),
        ...(failure.actual === undefined ? {} : { actual: failure.actual }),
        count: 1,
        example: { repro: shortRepro(input.baseUrl, spec), mutationClass: mutationClass(o.recipe), shrunk: false },
        replay: { seed, path },
      };
      buckets.set(key, bucket);
      if (phase !== "shrink" && SHRUNK.includes(failure.check)) await shrink(o, failure, bucket);
    }
  }

  /** Sets choices of a failing recipe back to the plain login's while the same check still fails with the same status. */
  async function shrink(o: Observation, failure: Failure, bucket: FuzzBucket): Promise<void> {
    let current = o.recipe;
    let spent = 0;
    let improved = true;
    while (improved && spent < SHRINK_PER_FAILURE) {
      improved = false;
      for (const candidate of simplerRecipes(current)) {
        if (spent >= SHRINK_PER_FAILURE || byPhase.shrink >= shrinkCap || stop) return;
        spent++;
        const result = await probe(candidate, "shrink", `shrink/${byPhase.shrink + 1}`);
        if (!result) return;
        const again = judge(result.o, ctx, [failure.check]).some((f) => f.check === failure.check);
        const sameStatus = (result.o.exchange?.answer.status ?? null) === bucket.status;
        if (again && sameStatus) {
          current = candidate;
          bucket.example = { repro: shortRepro(input.baseUrl, result.spec), mutationClass: mutationClass(candidate), shrunk: true };
          improved = true;
          break;
        }
      }
    }
  }

  const plan = planned(validator, learned, options.budget, seed);
  for (const [i, p] of plan.entries()) {
    // The first example is the plain login: its refusal is the baseline every refusal is compared with.
    const recipe = i === 0 ? PLAIN_BASELINE : p.recipe;
    // The examples share the baseline's throwaway (at most 3): their rate-limit headers must count down.
    const key = p.phase === "examples" && p.index <= 3 ? "baseline" : undefined;
    const path = `${p.phase}/${p.index}`;
    const result = await probe(recipe, p.phase, path, key);
    if (result) await record(result.o, result.spec, p.phase, path);
    if (stop) break;
  }
  stop ??=
    sent >= options.budget
      ? { kind: "budget", message: `the budget of ${options.budget} requests was spent` }
      : { kind: "done", message: "every planned request was sent" };

  const coverage: FuzzCoverageRow[] = MUTATION_CLASSES.map((mutation) => {
    const seen = sentByClass.get(mutation);
    if (seen && seen.sent > 0) return { mutationClass: mutation, sent: seen.sent, statuses: [...seen.statuses].sort((a, b) => a - b) };
    return { mutationClass: mutation, sent: 0, statuses: [], reason: notExercised(mutation, learned, stop!) };
  });
  return {
    seed,
    budget: options.budget,
    rate: rate > 0 ? rate : null,
    sent,
    byPhase,
    checks: [...input.checks],
    refusedByGuard,
    throwaways,
    stopped: stop,
    buckets: [...buckets.values()],
    coverage,
  };
}

/** The plain throwaway login: the first request of every run. */
const PLAIN_BASELINE: Recipe = { ...PLAIN };

const bucketKey = (f: Failure, o: Observation) => [f.check, o.operationId, mutationClass(o.recipe), o.exchange?.answer.status ?? "none", f.pointer].join("|");

/** The repro of a request, cut when its body is large (the oversize class). */
function shortRepro(baseUrl: string, spec: RequestSpec): string {
  const repro = reproCurl(baseUrl, spec);
  return repro.length > 2000 ? `${repro.slice(0, 2000)}… (${repro.length} characters)` : repro;
}

/** Why a mutation class was never sent. */
function notExercised(mutation: string, learned: Learned, stop: FuzzStop): string {
  if (mutation.startsWith("dev:") && learned.devLogin) return "not exercised because the server advertises development login, so its route is open by design";
  if (stop.kind !== "done" && stop.kind !== "budget") return `not exercised because fuzzing stopped: ${stop.message}`;
  if (stop.kind === "budget") return "not exercised because the budget ran out before it";
  return "not exercised because no recipe of this run had it";
}
