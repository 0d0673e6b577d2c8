import { Redis } from "ioredis";
import { RateLimiterRedis } from "rate-limiter-flexible";
import { safeUrl } from "../safe-url.ts";
import { UnavailableError } from "../unavailable.ts";
import { FlexibleLimiter } from "./flexible-limiter.ts";
import type { AttemptLimiter, RateLimitRule } from "./rate-limit.ts";

/** How the Redis limiter bounds its waits and reports its connection's state. */
export interface RedisLimiterOptions {
  /** Longest wait for a connection or a command, in milliseconds. */
  timeoutMs: number;
  /** The connection broke or came back; ioredis keeps reconnecting in between. */
  onStateChange?: (state: "lost" | "restored", error?: Error) => void;
}

/** Keys are `<prefix>:<username>`, apart from anything else the Redis holds. */
export const REDIS_KEY_PREFIX = "zulip-auth:login";

/** Why the rate-limit store could not be reached at start, in one line fit to show an operator (no password). */
export class RedisConnectError extends Error {
  override name = "RedisConnectError";
}

/**
 * Counters in Redis, shared by every instance that uses the same Redis: the increment and its expiry are
 * one Lua script there, so concurrent attempts on several instances are counted exactly. Resolves once
 * connected; fails with a RedisConnectError when Redis does not answer within the timeout.
 */
export async function connectRedisLimiter(url: string, rule: RateLimitRule, options: RedisLimiterOptions): Promise<AttemptLimiter> {
  let lost = false;
  const redis = new Redis(url, {
    // A command while disconnected fails at once (a 503) instead of queueing until Redis is back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    // Reconnect for ever, backing off to one attempt per second: service resumes when Redis is back.
    retryStrategy: (times) => Math.min(times * 100, 1000),
    connectionName: "zulip-auth",
    lazyConnect: true,
  });
  // Without a listener ioredis prints every connection error to the console.
  redis.on("error", (error: Error) => {
    if (lost) return;
    lost = true;
    options.onStateChange?.("lost", error);
  });
  redis.on("ready", () => {
    if (!lost) return;
    lost = false;
    options.onStateChange?.("restored");
  });
  try {
    await new Promise<void>((resolve, reject) => {
      // The first error says why (refused, wrong password); connect() itself only says "Connection is closed".
      const timer = setTimeout(() => reject(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      redis.once("error", (error: Error) => (clearTimeout(timer), reject(error)));
      redis.connect().then(() => (clearTimeout(timer), resolve()), (error: Error) => (clearTimeout(timer), reject(error)));
    });
  } catch (error) {
    redis.disconnect();
    throw new RedisConnectError(`cannot reach the rate-limit store at ${safeUrl(url)}: ${(error as Error).message}`, { cause: error });
  }
  return createRedisLimiter(redis, rule);
}

/** Counters in Redis through an ioredis client made as connectRedisLimiter makes it (no offline queue, timeouts). */
export function createRedisLimiter(redis: Redis, rule: RateLimitRule): AttemptLimiter {
  const store = new RateLimiterRedis({ storeClient: redis, points: rule.attempts, duration: rule.windowSeconds, keyPrefix: REDIS_KEY_PREFIX });
  const limiter = new FlexibleLimiter(rule, store);
  return {
    rule,
    consume: (username) => limiter.consume(username),
    refund: (username) => limiter.refund(username),
    reset: (username) => limiter.reset(username),
    windowStart: (username) => limiter.windowStart(username),
    async ping() {
      try {
        await redis.ping();
      } catch (error) {
        throw new UnavailableError("rate-limit store", { cause: error });
      }
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
