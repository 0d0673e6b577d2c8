import { RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { UnavailableError } from "../unavailable.ts";
import type { AttemptLimiter, RateLimitDecision, RateLimitRule } from "./rate-limit.ts";

/**
 * An AttemptLimiter over any rate-limiter-flexible store (memory, Redis): its counters are atomic there. A
 * store that fails (Redis down, a command timed out) makes every call an UnavailableError.
 */
export class FlexibleLimiter implements AttemptLimiter {
  constructor(
    readonly rule: RateLimitRule,
    private readonly limiter: RateLimiterAbstract,
  ) {}

  async consume(username: string): Promise<RateLimitDecision> {
    try {
      return this.decision(true, await this.limiter.consume(username));
    } catch (rejection) {
      // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error when its store fails.
      if (rejection instanceof RateLimiterRes) return this.decision(false, rejection);
      throw new UnavailableError("rate-limit store", { cause: rejection });
    }
  }

  async refund(username: string): Promise<void> {
    await this.limiter.reward(username, 1);
  }

  async reset(username: string): Promise<void> {
    await this.store(() => this.limiter.delete(username));
  }

  async windowStart(username: string): Promise<number | undefined> {
    const res = await this.store(() => this.limiter.get(username));
    if (!res) return undefined;
    return Date.now() + res.msBeforeNext - this.rule.windowSeconds * 1000;
  }

  private async store<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new UnavailableError("rate-limit store", { cause: error });
    }
  }

  private decision(allowed: boolean, res: RateLimiterRes): RateLimitDecision {
    return {
      allowed,
      limit: this.rule.attempts,
      remaining: Math.max(0, this.rule.attempts - res.consumedPoints),
      resetAt: Math.floor((Date.now() + res.msBeforeNext) / 1000),
      retryAfter: allowed ? 0 : res.msBeforeNext / 1000,
    };
  }
}
