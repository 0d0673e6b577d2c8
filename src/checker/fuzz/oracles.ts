import { type ContractLevel, type ContractValidator, isUnlistedField } from "../../contract/validator.ts";
import { type Exchange, field } from "../exchange.ts";
import { refusalShape } from "../refusal-shape.ts";
import type { FuzzCheckId } from "./checks.ts";
import { isEquivalenceVariant, type Outcome, type Recipe } from "./recipe.ts";

/** One request's fate: the answer (or why none came), with what the model expected. */
export interface Observation {
  recipe: Recipe;
  outcome: Outcome;
  operationId: string;
  /** The throwaway's marker and the password sent: what must never come back. */
  marker: string;
  password: string;
  exchange?: Exchange;
  /** Why no answer came (timeout, reset). */
  noAnswer?: string;
  /** X-RateLimit-Remaining of this throwaway's earlier counted attempts, oldest first. */
  earlierRemaining: number[];
}

/** What the oracles know of the run. */
export interface OracleContext {
  validator: ContractValidator;
  level: ContractLevel;
  featureLevel: number | undefined;
  /** The refusal of the plain throwaway login: what every well-formed refusal must look like. */
  baseline: Exchange | undefined;
}

/** A broken expectation: the check, where in the answer, and what was expected and seen. */
export interface Failure {
  check: FuzzCheckId;
  message: string;
  pointer: string;
  expected?: string;
  actual?: string;
}

type Oracle = (o: Observation & { exchange: Exchange }, ctx: OracleContext) => Failure | Failure[] | undefined;

const RATE_HEADERS = ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"];

const statusCode = (e: Exchange) => `${e.answer.status}${typeof field(e, "code") === "string" ? ` ${String(field(e, "code"))}` : ""}`;
const isRefusal = (e: Exchange) => e.answer.status === 401 && field(e, "code") === "AUTHENTICATION_FAILED";
const rateHeaders = (e: Exchange) => RATE_HEADERS.filter((h) => e.answer.headers.has(h));
const answerText = (e: Exchange) => [...[...e.answer.headers].map(([k, v]) => `${k}: ${v}`), e.answer.bodyText].join("\n");

/** The exact answer the model expects before authentication: status, code and (for a missing parameter) var_name. */
function validationExpected(outcome: Outcome): { status: number; code: string; varName?: string } | undefined {
  if (outcome.kind === "missing") return { status: 400, code: "REQUEST_VARIABLE_MISSING", varName: outcome.variable };
  if (outcome.kind === "invalid-email" || outcome.kind === "dev-closed") return { status: 400, code: "BAD_REQUEST" };
  return undefined;
}

/** What the model says the answer's status and code must be, for the equivalence and validation checks. */
function mismatch(o: Observation & { exchange: Exchange }): Failure | undefined {
  const e = o.exchange;
  // A server error and a limit are judged by their own checks, not as a wrong answer to the input.
  if (e.answer.status >= 500 || e.answer.status === 429) return undefined;
  const expected = validationExpected(o.outcome);
  const equivalence = isEquivalenceVariant(o.recipe);
  if (expected) {
    const ok =
      e.answer.status === expected.status &&
      field(e, "code") === expected.code &&
      (expected.varName === undefined || field(e, "var_name") === expected.varName);
    if (ok) return undefined;
    const want = `${expected.status} ${expected.code}${expected.varName ? ` var_name ${expected.varName}` : ""}`;
    return {
      check: equivalence ? "parameter-equivalence" : "validation-before-auth",
      message: equivalence
        ? `sent another way, the same parameters got ${statusCode(e)}, not ${want}`
        : `malformed input (${o.outcome.kind}) must be refused before authentication with ${want}`,
      pointer: e.answer.status === expected.status ? "/code" : "",
      expected: want,
      actual: `${statusCode(e)}${field(e, "var_name") === undefined ? "" : ` var_name ${String(field(e, "var_name"))}`}`,
    };
  }
  if (o.outcome.kind === "refusal" && !isRefusal(e)) {
    return {
      check: equivalence ? "parameter-equivalence" : "well-formed-reaches-auth",
      message: equivalence
        ? `a well-formed login sent another way (${describe(o.recipe)}) got ${statusCode(e)}, where the plain one is refused 401 AUTHENTICATION_FAILED`
        : "a well-formed throwaway login must reach authentication and be refused like an unknown user",
      pointer: e.answer.status === 401 ? "/code" : "",
      expected: "401 AUTHENTICATION_FAILED",
      actual: statusCode(e),
    };
  }
  return undefined;
}

/** The equivalence choices of a recipe, for a message. */
function describe(r: Recipe): string {
  return [
    r.transport,
    r.reversed ? "password first" : "",
    r.extras > 0 ? `${r.extras} unknown parameters` : "",
    r.repeated ? "username repeated, the last one well-formed" : "",
    r.queryShadow ? "a malformed username in the query string" : "",
  ]
    .filter(Boolean)
    .join(", ");
}

const noServerError: Oracle = (o) => {
  const e = o.exchange;
  if (e.answer.status >= 500)
    return { check: "no-server-error", message: `a server error: ${statusCode(e)}`, pointer: "", expected: "a 4xx", actual: statusCode(e) };
  if (/Traceback \(most recent call last\)|Django Version:|Werkzeug Debugger|<title>[^<]*(Exception|Error) at /i.test(e.answer.bodyText)) {
    return { check: "no-server-error", message: "a debug page", pointer: "", expected: "a JSON error", actual: e.answer.bodyText.slice(0, 120) };
  }
  return undefined;
};

const conforms: Oracle = (o, ctx) => {
  if (o.recipe.path !== "exact") return undefined;
  const judge = { level: ctx.level, ...(ctx.featureLevel === undefined ? {} : { featureLevel: ctx.featureLevel }) };
  return ctx.validator
    .validateResponse(o.operationId, o.exchange.answer, judge)
    .filter((v) => !isUnlistedField(v, ctx.level))
    .map((v) => ({
      check: "conforms" as const,
      message: `${v.id}: ${v.message}`,
      pointer: v.responsePointer,
      ...(v.expected === undefined ? {} : { expected: v.expected }),
      ...(v.actual === undefined ? {} : { actual: v.actual }),
    }));
};

const validationBeforeAuth: Oracle = (o) => {
  const failures: Failure[] = [];
  const m = mismatch(o);
  if (m && m.check === "validation-before-auth") failures.push(m);
  if (validationExpected(o.outcome) && o.exchange.answer.status === 400 && rateHeaders(o.exchange).length > 0) {
    failures.push({
      check: "validation-before-auth",
      message: "a request refused before authentication carries rate-limit headers: it was counted as an attempt",
      pointer: "",
      expected: "no X-RateLimit-* header",
      actual: rateHeaders(o.exchange).join(", "),
    });
  }
  return failures;
};

const wellFormedReachesAuth: Oracle = (o) => {
  const m = mismatch(o);
  return m?.check === "well-formed-reaches-auth" ? m : undefined;
};

const parameterEquivalence: Oracle = (o) => {
  const m = mismatch(o);
  return m?.check === "parameter-equivalence" ? m : undefined;
};

const noBypass: Oracle = (o) => {
  const e = o.exchange;
  const key = field(e, "api_key");
  if (e.answer.status !== 200 && !(typeof key === "string" && key !== "")) return undefined;
  return {
    check: "no-bypass",
    message:
      o.recipe.operation === "dev"
        ? "the development login route answered a throwaway with a success on a server that does not advertise it"
        : "a throwaway username no account has got a success or an API key",
    pointer: typeof key === "string" ? "/api_key" : "",
    expected: "a refusal",
    actual: `${e.answer.status}${typeof key === "string" ? " with an api_key (not shown)" : ""}`,
  };
};

const uniformRefusal: Oracle = (o, ctx) => {
  if (!ctx.baseline || o.outcome.kind !== "refusal" || !isRefusal(o.exchange) || o.exchange === ctx.baseline) return undefined;
  const [a, b] = [refusalShape(ctx.baseline), refusalShape(o.exchange)];
  const differs = (Object.keys(a) as (keyof typeof a)[]).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (differs.length === 0) return undefined;
  return {
    check: "uniform-refusal",
    message: `a well-formed refusal differs from the plain throwaway's in ${differs.join(", ")}`,
    pointer: differs.includes("msg") ? "/msg" : "",
    expected: JSON.stringify(Object.fromEntries(differs.map((k) => [k, a[k]]))),
    actual: JSON.stringify(Object.fromEntries(differs.map((k) => [k, b[k]]))),
  };
};

const methodAndRoute: Oracle = (o) => {
  const e = o.exchange;
  if (o.outcome.kind === "method-not-allowed") {
    const allow = (e.answer.headers.get("allow") ?? "")
      .split(",")
      .map((m) => m.trim().toUpperCase())
      .filter(Boolean)
      .sort()
      .join(", ");
    if (e.answer.status === 405 && allow === o.outcome.allow) return undefined;
    return {
      check: "method-and-route",
      message: `${o.recipe.method} must be answered 405 with Allow: ${o.outcome.allow}`,
      pointer: e.answer.status === 405 ? "/headers/allow" : "",
      expected: `405 Allow: ${o.outcome.allow}`,
      actual: `${e.answer.status} Allow: ${e.answer.headers.get("allow") ?? "(none)"}`,
    };
  }
  if (o.outcome.kind === "path-variant" && e.answer.status === 200 && o.recipe.operation === "fetch") {
    return { check: "method-and-route", message: `a variant of the path (${o.recipe.path}) got 200`, pointer: "", expected: "not 200", actual: "200" };
  }
  return undefined;
};

const rateLimitAccounting: Oracle = (o, ctx) => {
  const e = o.exchange;
  const present = rateHeaders(e);
  const counted = o.outcome.kind === "refusal" && isRefusal(e);
  const uncounted = o.outcome.kind === "method-not-allowed" || (o.outcome.kind === "path-variant" && e.answer.status === 404);
  if (uncounted && present.length > 0) {
    return {
      check: "rate-limit-accounting",
      message: "an answer that is no login attempt carries rate-limit headers",
      pointer: "",
      expected: "no X-RateLimit-* header",
      actual: present.join(", "),
    };
  }
  if (!counted) return undefined;
  // A server that sends no rate-limit headers on its baseline refusal is judged only on consistency.
  const expectHeaders = ctx.baseline !== undefined && rateHeaders(ctx.baseline).length === RATE_HEADERS.length;
  if (!expectHeaders && present.length === 0) return undefined;
  const [limit, remaining, reset] = RATE_HEADERS.map((h) => Number(e.answer.headers.get(h) ?? Number.NaN)) as [number, number, number];
  const problems: string[] = [];
  if (present.length !== RATE_HEADERS.length) problems.push(`missing ${RATE_HEADERS.filter((h) => !present.includes(h)).join(", ")}`);
  else {
    if (!Number.isInteger(limit) || limit < 1) problems.push("X-RateLimit-Limit is not a whole number ≥ 1");
    if (!Number.isInteger(remaining) || remaining < 0 || remaining >= limit) problems.push("X-RateLimit-Remaining is not below the limit");
    if (!Number.isInteger(reset) || reset < Date.now() / 1000 - 60) problems.push("X-RateLimit-Reset is not a Unix time ahead");
    const previous = o.earlierRemaining.at(-1);
    if (previous !== undefined && remaining !== previous - 1)
      problems.push(`X-RateLimit-Remaining went from ${previous} to ${remaining} for the same username`);
  }
  if (problems.length === 0) return undefined;
  return {
    check: "rate-limit-accounting",
    message: `a counted attempt's rate-limit headers are incoherent: ${problems.join("; ")}`,
    pointer: "",
    expected: "X-RateLimit-Limit, -Remaining (one less per attempt of a username), -Reset",
    actual: RATE_HEADERS.map((h) => `${h}: ${e.answer.headers.get(h) ?? "(none)"}`).join(", "),
  };
};

const noEcho: Oracle = (o) => {
  const e = o.exchange;
  const text = answerText(e);
  const failures: Failure[] = [];
  // The marker is hexadecimal: it reads the same in every encoding a server may echo it in.
  const echoed =
    text.toLowerCase().includes(o.marker) && e.answer.status !== 200
      ? "the username"
      : o.password.length >= 8 && text.includes(o.password)
        ? "the password"
        : "";
  if (echoed) failures.push({ check: "no-echo", message: `the answer echoes ${echoed} sent`, pointer: "", expected: "nothing sent echoed", actual: "echoed" });
  const cookie = e.answer.headers.get("set-cookie");
  if (cookie && e.answer.status !== 200 && /session/i.test(cookie)) {
    failures.push({
      check: "no-echo",
      message: "a refusal sets a session cookie",
      pointer: "/headers/set-cookie",
      expected: "no session cookie",
      actual: cookie.split("=")[0] ?? "",
    });
  }
  if (/\n\s+at \S+ \(?[^\n]*:\d+:\d+\)?|File "[^"]+", line \d+/.test(e.answer.bodyText)) {
    failures.push({ check: "no-echo", message: "the answer holds a stack trace", pointer: "", expected: "no stack trace", actual: "a stack trace" });
  }
  return failures;
};

/** The oracles by check id, in the order they judge. */
export const ORACLES: Readonly<Record<FuzzCheckId, Oracle>> = {
  "no-server-error": noServerError,
  conforms,
  "validation-before-auth": validationBeforeAuth,
  "well-formed-reaches-auth": wellFormedReachesAuth,
  "no-bypass": noBypass,
  "uniform-refusal": uniformRefusal,
  "parameter-equivalence": parameterEquivalence,
  "method-and-route": methodAndRoute,
  "rate-limit-accounting": rateLimitAccounting,
  "no-echo": noEcho,
};

/** Every failure of an observation under the selected checks; no answer at all is a server error. */
export function judge(o: Observation, ctx: OracleContext, checks: readonly FuzzCheckId[]): Failure[] {
  if (!o.exchange) {
    return checks.includes("no-server-error")
      ? [{ check: "no-server-error", message: `no answer: ${o.noAnswer ?? "unknown"}`, pointer: "", expected: "an answer", actual: o.noAnswer ?? "none" }]
      : [];
  }
  const answered = { ...o, exchange: o.exchange };
  return checks.flatMap((id) => {
    const found = ORACLES[id](answered, ctx);
    return found === undefined ? [] : Array.isArray(found) ? found : [found];
  });
}
