import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LoginLimiter } from "../src/auth/login-limiter.ts";
import { DEFAULT_LIMIT_RULES } from "../src/auth/rate-limit.ts";
import { connectRedisLog, type RedisAttemptLog, redisKey } from "../src/auth/redis-attempt-log.ts";
import { UnavailableError } from "../src/shared/unavailable.ts";
import { missingServices, need, redisDatabase, SERVICE_URLS } from "./helpers/service-env.ts";
import { freePort } from "./helpers/services.ts";

const NO_REDIS = missingServices("redis");
const WHO = { org: "", username: "race@zulip.com", address: "127.0.0.2" };

describe("the Redis attempt log (a real Redis)", () => {
  let url: string;
  const logs: RedisAttemptLog[] = [];
  const connect = async () => {
    const log = await connectRedisLog(url, { timeoutMs: 2000 });
    logs.push(log);
    return log;
  };

  beforeAll(async () => {
    if (!NO_REDIS) url = await redisDatabase(1);
  });
  afterAll(async () => {
    for (const l of logs) await l.close();
  });

  it("records attempts from several instances atomically: exactly 5 of 20 concurrent ones are allowed", async (ctx) => {
    need(ctx, NO_REDIS);
    const [a, b] = [new LoginLimiter(await connect(), DEFAULT_LIMIT_RULES), new LoginLimiter(await connect(), DEFAULT_LIMIT_RULES)];
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).attempt(WHO)));
    expect(attempts.filter((t) => t.allowed)).toHaveLength(5);
    expect(
      attempts.filter((t) => !t.allowed).every((t) => t.decision!.remaining === 0 && t.decision!.retryAfter > 1790 && t.decision!.retryAfter <= 1800),
    ).toBe(true);
  });

  it("a success empties (a) for every instance and takes the attempt out of (b) and (c)", async (ctx) => {
    need(ctx, NO_REDIS);
    const log = await connect();
    const limiter = new LoginLimiter(log, DEFAULT_LIMIT_RULES);
    const who = { ...WHO, username: "iago@zulip.com" };
    for (let i = 0; i < 3; i++) await limiter.attempt(who);
    const attempt = await limiter.attempt(who);
    await attempt.succeeded();
    const rows = await log.list({ username: "iago@zulip.com" }, Date.now());
    expect(rows.map((r) => [r.bucket.rule, r.times.length]).sort()).toEqual([
      ["user", 3],
      ["user-success", 1],
    ]);
    // The address is remembered: its next failures are not counted under (c).
    expect(await log.isKnownAddress({ org: "", username: "iago@zulip.com", address: who.address }, Date.now() - 60_000)).toBe(true);
    await limiter.attempt(who);
    const after = await log.list({ username: "iago@zulip.com", rules: ["user"] }, Date.now());
    expect(after.map((r) => r.times.length)).toEqual([3]);
  });

  it("keeps each bucket under its own prefix, expiring with the window", async (ctx) => {
    need(ctx, NO_REDIS);
    const limiter = new LoginLimiter(await connect(), DEFAULT_LIMIT_RULES);
    await limiter.attempt({ ...WHO, username: "ttl@zulip.com" });
    const redis = new Redis(url);
    try {
      const ttl = await redis.pttl(redisKey({ rule: "user-address", org: "", username: "ttl@zulip.com", address: "127.0.0.2" }));
      expect(ttl).toBeGreaterThan(1_790_000);
      expect(ttl).toBeLessThanOrEqual(1_800_000);
    } finally {
      await redis.quit();
    }
    await limiter.ping();
  });

  it("refuses to start against a Redis that refuses us or does not answer: one line, no password, within the timeout", async (ctx) => {
    need(ctx, NO_REDIS);
    const real = new URL(SERVICE_URLS.redis!);
    const wrong = `redis://:not-the-password@${real.host}`;
    await expect(connectRedisLog(wrong, { timeoutMs: 2000 })).rejects.toThrow(
      `cannot reach the rate-limit store at redis://${real.host}: WRONGPASS invalid username-password pair or user is disabled.`,
    );
    const port = await freePort();
    await expect(connectRedisLog(`redis://:pw@127.0.0.1:${port}`, { timeoutMs: 2000 })).rejects.toThrow(
      `cannot reach the rate-limit store at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const started = Date.now();
    await expect(connectRedisLog(`redis://127.0.0.1:${(silent.address() as { port: number }).port}`, { timeoutMs: 800 })).rejects.toThrow(
      "no answer within 800 ms",
    );
    expect(Date.now() - started).toBeLessThan(5000);
    silent.close();
  });

  it("turns a lost connection into UnavailableError", async (ctx) => {
    need(ctx, NO_REDIS);
    const log = await connect();
    const limiter = new LoginLimiter(log, DEFAULT_LIMIT_RULES);
    await log.close();
    const error = await limiter.attempt(WHO).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).dependency).toBe("rate-limit store");
    await expect(limiter.ping()).rejects.toBeInstanceOf(UnavailableError);
  });
});
