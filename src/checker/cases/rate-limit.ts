import { OPERATIONS } from "../../contract/operations.ts";
import { loginSpec } from "../case-context.ts";
import { field } from "../exchange.ts";
import { throwawayPassword } from "../throwaway.ts";
import { type CheckCase, casesOf, FETCH } from "./case.ts";

const fetchCase = casesOf(OPERATIONS.fetchApiKey);

/** Zulip's rule: 5 counted attempts per username per 30 minutes. */
const ALLOWED_ATTEMPTS = 5;

const RATE_LIMITED = [...FETCH, "responses", "429"];

export const rateLimitCases: CheckCase[] = [
  fetchCase([401, 429], {
    id: "fetch-api-key.rate-limit",
    title: `${ALLOWED_ATTEMPTS} failed logins of one (throwaway) username, then 429 with Retry-After, retry-after and X-RateLimit-*`,
    async run(ctx) {
      // A fresh, valid address no account has: Zulip rejects malformed usernames before the rate limit, and
      // the real account is never locked. zproject/backends.py: RateLimitedAuthenticationByUsername, 5 per 1800 s
      // per username string (settings.RATE_LIMITING_RULES["authenticate_by_username"]).
      const username = ctx.throwawayEmail();
      const password = throwawayPassword();
      const total = ALLOWED_ATTEMPTS + 1;
      for (let attempt = 1; attempt <= ALLOWED_ATTEMPTS; attempt++) {
        const exchange = await ctx.send(loginSpec(username, password, `attempt ${attempt} of ${total}`), { limitExpected: true });
        if (exchange.answer.status === 429) {
          // Another fresh username tells whose limit it is: refused too, it is this address's (not a fault).
          const probe = await ctx.send(loginSpec(ctx.throwawayEmail(), throwawayPassword(), "another throwaway username, to tell whose limit it is"), {
            limitExpected: true,
          });
          if (probe.answer.status === 429) ctx.notChecked(ctx.addressLimited());
          ctx.fail(exchange, "unexpected-status", `refused after ${attempt - 1} failed attempts; Zulip allows ${ALLOWED_ATTEMPTS}`, {
            spec: [...RATE_LIMITED, "description"],
            expected: "401",
            actual: "429",
          });
          return;
        }
        if (!ctx.expectStatus(exchange, 401, "an unknown user")) return;
      }
      const last = await ctx.send(loginSpec(username, password, `attempt ${total} of ${total}`), { limitExpected: true });
      if (last.answer.status === 401) {
        ctx.fail(last, "rate-limit-missing", `the ${total}th failed attempt for one username was not refused: passwords can be guessed without limit`, {
          spec: RATE_LIMITED,
          expected: "429 RATE_LIMIT_HIT",
          actual: `401 ${last.answer.bodyText.trim()}`,
        });
        return;
      }
      if (!ctx.expectStatus(last, 429, `the ${total}th attempt within the window`)) return;
      ctx.expectCode(last, OPERATIONS.fetchApiKey, 429, "RATE_LIMIT_HIT", "rate-limit-hit");
      const retryAfter = field(last, "retry-after");
      if (typeof retryAfter === "number" && !(retryAfter > 0)) {
        ctx.fail(last, "unexpected-value", "retry-after should be a wait in seconds, above 0", {
          spec: ["components", "schemas", "RateLimitError", "properties", "retry-after"],
          pointer: "/retry-after",
          expected: "> 0",
          actual: String(retryAfter),
        });
      }
      const header = last.answer.headers.get("retry-after");
      if (header !== null && !(Number(header) > 0)) {
        ctx.fail(last, "unexpected-value", "Retry-After should be a wait in seconds, above 0", {
          spec: [...RATE_LIMITED, "headers", "Retry-After"],
          pointer: "header:Retry-After",
          expected: "> 0",
          actual: header,
        });
      }
      const limit = last.answer.headers.get("x-ratelimit-limit");
      if (limit !== null && Number(limit) !== ALLOWED_ATTEMPTS) {
        ctx.fail(last, "unexpected-value", `X-RateLimit-Limit should be the ${ALLOWED_ATTEMPTS} attempts the server allowed`, {
          spec: [...RATE_LIMITED, "headers", "X-RateLimit-Limit"],
          pointer: "header:X-RateLimit-Limit",
          expected: String(ALLOWED_ATTEMPTS),
          actual: limit,
        });
      }
    },
  }),
];
