import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttemptLimiter } from "../src/auth/rate-limit.ts";
import { connectRedisLimiter, REDIS_KEY_PREFIX } from "../src/auth/redis-limiter.ts";
import { UnavailableError } from "../src/unavailable.ts";
import { missingServices, need, redisDatabase, SERVICE_URLS } from "./helpers/service-env.ts";
import { freePort } from "./helpers/services.ts";

const NO_REDIS = missingServices("redis");
const RULE = { attempts: 5, windowSeconds: 1800 };

describe("the Redis rate limit (a real Redis)", () => {
  let url: string;
  const limiters: AttemptLimiter[] = [];
  const connect = async () => {
    const limiter = await connectRedisLimiter(url, RULE, { timeoutMs: 2000 });
    limiters.push(limiter);
    return limiter;
  };

  beforeAll(async () => {
    if (!NO_REDIS) url = await redisDatabase(1);
  });
  afterAll(async () => {
    for (const l of limiters) await l.close?.();
  });

  it("counts attempts from several instances atomically: exactly 5 of 20 concurrent ones are allowed", async (ctx) => {
    need(ctx, NO_REDIS);
    const [a, b] = [await connect(), await connect()];
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume("race@zulip.com")));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.remaining === 0 && d.retryAfter > 1790 && d.retryAfter <= 1800)).toBe(true);
    expect(new Set(decisions.map((d) => d.resetAt)).size).toBeLessThanOrEqual(2);
  });

  it("tells when the window began and forgets the count on reset, for every instance", async (ctx) => {
    need(ctx, NO_REDIS);
    const [a, b] = [await connect(), await connect()];
    expect(await a.windowStart("iago@zulip.com")).toBeUndefined();
    const before = Date.now();
    await a.consume("iago@zulip.com");
    const start = (await b.windowStart("iago@zulip.com"))!;
    expect(start).toBeGreaterThanOrEqual(before - 50);
    expect(start).toBeLessThanOrEqual(Date.now() + 50);
    for (let i = 0; i < 4; i++) await b.consume("iago@zulip.com");
    expect((await a.consume("iago@zulip.com")).allowed).toBe(false);
    await b.reset("iago@zulip.com");
    expect(await a.windowStart("iago@zulip.com")).toBeUndefined();
    expect(await a.consume("iago@zulip.com")).toMatchObject({ allowed: true, remaining: 4 });
  });

  it("keeps its counters under its own prefix, expiring with the window", async (ctx) => {
    need(ctx, NO_REDIS);
    const limiter = await connect();
    await limiter.consume("ttl@zulip.com");
    const redis = new Redis(url);
    try {
      const ttl = await redis.pttl(`${REDIS_KEY_PREFIX}:ttl@zulip.com`);
      expect(ttl).toBeGreaterThan(1_790_000);
      expect(ttl).toBeLessThanOrEqual(1_800_000);
    } finally {
      await redis.quit();
    }
    await limiter.ping?.();
  });

  it("refuses to start against a Redis that refuses us or does not answer: one line, no password, within the timeout", async (ctx) => {
    need(ctx, NO_REDIS);
    const real = new URL(SERVICE_URLS.redis!);
    const wrong = `redis://:not-the-password@${real.host}`;
    await expect(connectRedisLimiter(wrong, RULE, { timeoutMs: 2000 })).rejects.toThrow(
      `cannot reach the rate-limit store at redis://${real.host}: WRONGPASS invalid username-password pair or user is disabled.`,
    );
    const port = await freePort();
    await expect(connectRedisLimiter(`redis://:pw@127.0.0.1:${port}`, RULE, { timeoutMs: 2000 })).rejects.toThrow(
      `cannot reach the rate-limit store at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    // Accepts the connection and says nothing, like a frozen Redis.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const started = Date.now();
    await expect(connectRedisLimiter(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`, RULE, { timeoutMs: 800 })).rejects.toThrow("no answer within 800 ms");
    expect(Date.now() - started).toBeLessThan(2000);
    silent.close();
  });

  it("turns a lost connection into UnavailableError", async (ctx) => {
    need(ctx, NO_REDIS);
    const limiter = await connect();
    await limiter.close!();
    const error = await limiter.consume("x@zulip.com").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).dependency).toBe("rate-limit store");
    await expect(limiter.ping!()).rejects.toBeInstanceOf(UnavailableError);
    await expect(limiter.windowStart("x@zulip.com")).rejects.toBeInstanceOf(UnavailableError);
  });
});
