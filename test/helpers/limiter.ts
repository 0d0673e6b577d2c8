import type { Attempt, LoginLimiter } from "../../src/auth/login-limiter.ts";

/**
 * A limiter double scripted by the test (not a rate limiter): it refuses the next `refusals` attempts with the
 * given Retry-After, then allows. It lets a test reach the 429 path and time a client's wait in milliseconds.
 */
export function scriptedLimiter(refusals: number, retryAfterSeconds: number): LoginLimiter & { attempts: number } {
  let left = refusals;
  const limiter = {
    attempts: 0,
    active: true,
    async attempt(): Promise<Attempt> {
      limiter.attempts += 1;
      const resetAt = Math.ceil(Date.now() / 1000 + retryAfterSeconds);
      const none = async () => {};
      if (left > 0) {
        left -= 1;
        return {
          allowed: false,
          refusedBy: ["user-address"],
          decision: { allowed: false, limit: 5, remaining: 0, resetAt, retryAfter: retryAfterSeconds },
          succeeded: none,
          refund: none,
        };
      }
      return {
        allowed: true,
        refusedBy: [],
        decision: { allowed: true, limit: 5, remaining: 4, resetAt, retryAfter: 0 },
        succeeded: none,
        refund: none,
      };
    },
    async ping(): Promise<void> {},
    async close(): Promise<void> {},
  };
  return limiter as unknown as LoginLimiter & { attempts: number };
}
