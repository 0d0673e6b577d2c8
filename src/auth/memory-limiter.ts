import { RateLimiterMemory } from "rate-limiter-flexible";
import { FlexibleLimiter } from "./flexible-limiter.ts";
import { ZULIP_AUTH_RATE_LIMIT, type AttemptLimiter, type RateLimitRule } from "./rate-limit.ts";

/** Counters in this process's memory: right for one server process (several instances need the Redis store). */
export function createMemoryLimiter(rule: RateLimitRule = ZULIP_AUTH_RATE_LIMIT): AttemptLimiter {
  return new FlexibleLimiter(rule, new RateLimiterMemory({ points: rule.attempts, duration: rule.windowSeconds }));
}
