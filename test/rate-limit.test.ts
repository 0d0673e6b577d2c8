import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createMemoryLimiter } from "../src/auth/memory-limiter.ts";
import { parseRateLimit } from "../src/auth/rate-limit.ts";
import { conformant, createTestServer, form, USERS, type TestServer } from "./helpers/harness.ts";

const PATH = "/api/v1/fetch_api_key";
type Body = Record<string, unknown>;
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

describe("Zulip's authenticate_by_username rate limit (5 per 1800 s per username)", () => {
  let s: TestServer;
  const login = async (username: string, password: string, host?: string) =>
    conformant<Body>("fetch-api-key", await s.request(PATH, { ...form({ username, password }), ...(host ? { host } : {}) }));

  beforeEach(async () => {
    // The injected clock: rate-limiter-flexible reads Date and expires keys with timers; argon2 runs on the
    // thread pool and is unaffected.
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"], now: T0 });
    s = await createTestServer({ limiter: createMemoryLimiter() });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("5 failures, then the 6th attempt gets 429 even with the right password, with Zulip's body and headers", async () => {
    for (let i = 1; i <= 5; i++) {
      vi.setSystemTime(T0 + i * 1000);
      const r = await login(USERS.iago.email, "wrong-password");
      expect(r.status).toBe(401);
      expect(r.headers.get("x-ratelimit-limit")).toBe("5");
      expect(r.headers.get("x-ratelimit-remaining")).toBe(String(5 - i));
      expect(r.headers.get("x-ratelimit-reset")).toBe(String(Math.floor((T0 + 1000 + 1800_000) / 1000)));
    }
    vi.setSystemTime(T0 + 10_000);
    const limited = await login(USERS.iago.email, USERS.iago.password);
    expect(limited.status).toBe(429);
    expect(Object.keys(limited.body)).toEqual(["result", "msg", "code", "retry-after"]);
    expect(limited.body).toMatchObject({ result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT" });
    // The window opened at T0+1 s; 9 s of it have passed.
    expect(limited.body["retry-after"]).toBeCloseTo(1791, 3);
    expect(limited.headers.get("retry-after")).toBe("1791");
    expect(limited.headers.get("x-ratelimit-limit")).toBe("5");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-reset")).toBe(String(Math.floor((T0 + 1000 + 1800_000) / 1000)));
  });

  it("the window expires: after 1800 s the right password logs in again", async () => {
    for (let i = 0; i < 5; i++) await login(USERS.iago.email, "wrong-password");
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
    await vi.advanceTimersByTimeAsync(1800_000);
    const r = await login(USERS.iago.email, USERS.iago.password);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("a success resets the count", async () => {
    for (let i = 0; i < 4; i++) await login(USERS.iago.email, "wrong-password");
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(USERS.iago.email, "wrong-password")).status).toBe(401);
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
  });

  it("a password change (from any process) resets the count", async () => {
    for (let i = 0; i < 5; i++) await login(USERS.iago.email, "wrong-password");
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
    vi.setSystemTime(T0 + 60_000);
    await s.admin.setPassword("", USERS.iago.email, "a-brand-new-Passw0rd");
    vi.setSystemTime(T0 + 61_000);
    expect((await login(USERS.iago.email, "a-brand-new-Passw0rd")).status).toBe(200);
    // Attempts after the change count afresh.
    for (let i = 0; i < 5; i++) expect((await login(USERS.iago.email, "wrong-password")).status).toBe(401);
    expect((await login(USERS.iago.email, "a-brand-new-Passw0rd")).status).toBe(429);
  });

  it("steps 1–5 never count: method, missing parameters, unknown subdomain, invalid email", async () => {
    for (let i = 0; i < 10; i++) {
      expect((await conformant("fetch-api-key", await s.request(PATH))).status).toBe(405);
      expect((await conformant("fetch-api-key", await s.request(PATH, form({ password: "x" })))).status).toBe(400);
      expect((await conformant("fetch-api-key", await s.request(PATH, form({ username: USERS.iago.email })))).status).toBe(400);
      expect((await login(USERS.iago.email, "wrong-password", "nope.zulip.test")).status).toBe(404);
      expect((await login("iago", "wrong-password")).status).toBe(400);
    }
    const r = await login(USERS.iago.email, USERS.iago.password);
    expect(r.status).toBe(200);
    expect(r.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("counts the spellings that log in as one user (case, surrounding spaces) as one username", async () => {
    for (const username of ["iago@zulip.com", "IAGO@zulip.com", "Iago@Zulip.Com", "iago@ZULIP.com", "iAgO@zulip.com"]) {
      expect((await login(username, "wrong-password")).status, username).toBe(401);
    }
    expect((await login("IAGO@ZULIP.COM", USERS.iago.password)).status).toBe(429);
  });

  it("counts per username, server-wide: across organisations, and for unknown users", async () => {
    for (let i = 0; i < 5; i++) await login(USERS.cordelia.email, "wrong-password", i % 2 ? "lear.zulip.test" : "zulip.test");
    expect((await login(USERS.cordelia.email, USERS.cordelia.password, "lear.zulip.test")).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await login("ghost@zulip.com", "x-password")).status).toBe(401);
    expect((await login("ghost@zulip.com", "x-password")).status).toBe(429);
    // Another username string is another counter.
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(200);
  });

  it("answers an unknown user and a wrong password with identical status, body and rate-limit headers", async () => {
    const a = await login("ghost@zulip.com", "some-password");
    const b = await login(USERS.hamlet.email, "some-password");
    expect(a.text).toBe(b.text);
    for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "content-type"]) expect(a.headers.get(h), h).toBe(b.headers.get(h));
    expect([...a.headers.keys()].sort()).toEqual([...b.headers.keys()].sort());
  });
});

describe("the rule is configurable", () => {
  it("parses ATTEMPTS/SECONDS and off", () => {
    expect(parseRateLimit("5/1800")).toEqual({ attempts: 5, windowSeconds: 1800 });
    expect(parseRateLimit("off")).toBeNull();
    expect(() => parseRateLimit("5")).toThrow(/ATTEMPTS\/SECONDS/);
    expect(() => parseRateLimit("0/10")).toThrow();
  });

  it("applies another rule, and none when switched off", async () => {
    const strict = await createTestServer({ limiter: createMemoryLimiter({ attempts: 2, windowSeconds: 60 }) });
    const off = await createTestServer();
    for (const [t, expected] of [[strict, [401, 401, 429]], [off, [401, 401, 401]]] as const) {
      const seen = [];
      for (let i = 0; i < 3; i++) seen.push((await conformant("fetch-api-key", await t.request(PATH, form({ username: USERS.iago.email, password: "wrong-password" })))).status);
      expect(seen).toEqual(expected);
    }
    const r = await conformant("fetch-api-key", await off.request(PATH, form({ username: USERS.iago.email, password: USERS.iago.password })));
    expect(r.headers.get("x-ratelimit-limit")).toBeNull();
  });
});
