import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { LoginLimiter } from "../src/auth/login-limiter.ts";
import { DEFAULT_LIMIT_RULES } from "../src/auth/rate-limit.ts";
import { RedisAttemptLog } from "../src/auth/redis-attempt-log.ts";
import { createPostgresStore } from "../src/store/postgres.ts";
import { conformant, createTestServer, form, USERS } from "./helpers/harness.ts";
import { freePort } from "./helpers/services.ts";

type Body = Record<string, unknown>;

/** A real PostgreSQL pool and a real ioredis client with nothing listening behind them. */
async function deadDatabase() {
  return createPostgresStore(`postgres://zulip_auth:db-secret-pw@127.0.0.1:${await freePort()}/zulip_auth`, { timeoutMs: 1000 });
}
async function deadRedisLimiter() {
  const redis = new Redis({
    host: "127.0.0.1",
    port: await freePort(),
    password: "redis-secret-pw",
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1000,
  });
  redis.on("error", () => {});
  return new LoginLimiter(new RedisAttemptLog(redis), DEFAULT_LIMIT_RULES);
}

describe("GET /healthz, for load balancers", () => {
  it("answers 200 when the database and the counters answer, whatever the Host, without logging each probe", async () => {
    const t = await createTestServer({ limits: {} });
    for (const host of ["zulip.test", "nope.zulip.test", "10.0.0.7:9991"]) {
      const r = await conformant<Body>("get-health", await t.request("/healthz", { host }));
      expect(r.status).toBe(200);
      expect(r.text).toBe('{"result":"success","msg":"","checks":{"database":"ok","rate_limit_store":"ok"}}\n');
      expect(r.headers.get("cache-control")).toBe("no-store");
    }
    expect(t.logLines.filter((l) => l.includes('"/healthz"'))).toEqual([]);
  });

  it("says the rate limit is off when it is", async () => {
    const t = await createTestServer();
    expect((await conformant<Body>("get-health", await t.request("/healthz"))).body.checks).toEqual({ database: "ok", rate_limit_store: "off" });
  });

  it("answers HEAD like GET and other methods with 405", async () => {
    const t = await createTestServer();
    const head = await t.request("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await conformant<Body>("get-health", await t.request("/healthz", { method: "POST" }));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
  });

  it("answers 503 naming the database when it does not answer (and the counters it holds)", async () => {
    const t = await createTestServer({ store: await deadDatabase(), seed: false, limits: {} });
    const started = Date.now();
    const r = await conformant<Body>("get-health", await t.request("/healthz"));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.status).toBe(503);
    // Without Redis the login counters live in the database: they are gone with it.
    expect(r.body).toEqual({
      result: "error",
      msg: "Unavailable: the database and the rate-limit store do not answer",
      checks: { database: "unavailable", rate_limit_store: "unavailable" },
      code: "SERVICE_UNAVAILABLE",
    });
    expect(t.logLines.join("")).toContain('"check":"database"');
    expect(t.logLines.join("")).not.toContain("db-secret-pw");
  });

  it("answers 503 naming the rate-limit store, or both", async () => {
    const redisDown = await createTestServer({ limiter: await deadRedisLimiter() });
    const r = await conformant<Body>("get-health", await redisDown.request("/healthz"));
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ msg: "Unavailable: the rate-limit store does not answer", checks: { database: "ok", rate_limit_store: "unavailable" } });
    const bothDown = await createTestServer({ store: await deadDatabase(), seed: false, limiter: await deadRedisLimiter() });
    const both = await conformant<Body>("get-health", await bothDown.request("/healthz"));
    expect(both.body).toMatchObject({
      msg: "Unavailable: the database and the rate-limit store do not answer",
      checks: { database: "unavailable", rate_limit_store: "unavailable" },
    });
  });
});

describe("a dependency that does not answer gets a 503, never a 500 or a hang", () => {
  it("the database: every endpoint that needs it answers SERVICE_UNAVAILABLE with Retry-After", async () => {
    const t = await createTestServer({ store: await deadDatabase(), seed: false, config: { devMode: true } });
    const expected = { result: "error", msg: "The server cannot reach its database; try again shortly", code: "SERVICE_UNAVAILABLE" };
    const answers = [
      await conformant<Body>("fetch-api-key", await t.request("/api/v1/fetch_api_key", form({ username: USERS.iago.email, password: USERS.iago.password }))),
      await conformant<Body>("dev-fetch-api-key", await t.request("/api/v1/dev_fetch_api_key", form({ username: USERS.iago.email }))),
      await conformant<Body>("get-server-settings", await t.request("/api/v1/server_settings")),
    ];
    for (const r of answers) {
      expect(r.status).toBe(503);
      expect(r.body).toEqual(expected);
      expect(r.headers.get("retry-after")).toBe("5");
    }
    // Checks that need no database still answer as before.
    expect((await conformant("fetch-api-key", await t.request("/api/v1/fetch_api_key", form({ password: "x" })))).status).toBe(400);
    const logged = t.logLines.join("");
    expect(logged).toContain('"msg":"the database does not answer"');
    expect(logged).not.toContain("db-secret-pw");
    expect(logged).not.toContain(USERS.iago.password);
  });

  it("the rate-limit store: a login answers SERVICE_UNAVAILABLE, server_settings still answers", async () => {
    const t = await createTestServer({ limiter: await deadRedisLimiter() });
    const r = await conformant<Body>(
      "fetch-api-key",
      await t.request("/api/v1/fetch_api_key", form({ username: USERS.iago.email, password: USERS.iago.password })),
    );
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ result: "error", msg: "The server cannot reach its rate-limit store; try again shortly", code: "SERVICE_UNAVAILABLE" });
    expect((await conformant("get-server-settings", await t.request("/api/v1/server_settings"))).status).toBe(200);
    expect(t.logLines.join("")).not.toContain("redis-secret-pw");
  });
});
