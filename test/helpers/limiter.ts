import type { AttemptLimiter, RateLimitDecision } from "../../src/auth/rate-limit.ts";

/**
 * A limiter double scripted by the test (not a rate limiter): it refuses the next `refusals` attempts with the
 * given Retry-After, then allows. It lets a test reach the 429 path and time a client's wait in milliseconds.
 */
export function scriptedLimiter(refusals: number, retryAfterSeconds: number): AttemptLimiter & { attempts: number } {
  let left = refusals;
  const limiter = {
    attempts: 0,
    rule: { attempts: 5, windowSeconds: 1800 },
    async consume(): Promise<RateLimitDecision> {
      limiter.attempts += 1;
      const resetAt = Math.ceil(Date.now() / 1000 + retryAfterSeconds);
      if (left > 0) {
        left -= 1;
        return { allowed: false, limit: 5, remaining: 0, resetAt, retryAfter: retryAfterSeconds };
      }
      return { allowed: true, limit: 5, remaining: 4, resetAt, retryAfter: 0 };
    },
    async refund(): Promise<void> {},
    async reset(): Promise<void> {},
    async windowStart(): Promise<number | undefined> {
      return undefined;
    },
  };
  return limiter;
}
