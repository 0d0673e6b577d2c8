import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatRateLimit, parseRateLimit } from "../src/auth/rate-limit.ts";
import { conformant, createTestServer, form, type TestServer, USERS } from "./helpers/harness.ts";

const PATH = "/api/v1/fetch_api_key";
type Body = Record<string, unknown>;
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

describe("the brute-force defence, in process (the clock is the test's)", () => {
  let s: TestServer;
  const login = async (username: string, password: string, options: { host?: string; address?: string } = {}) =>
    conformant<Body>("fetch-api-key", await s.request(PATH, { ...form({ username, password }), ...options }));

  beforeEach(async () => {
    // Only Date is faked: the limiter reads the time from it; argon2 and the database are unaffected.
    vi.useFakeTimers({ toFake: ["Date"], now: T0 });
    s = await createTestServer({ limits: {} });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("(a) 5 failures from one address, then 429 even with the right password, with Zulip's body and headers", async () => {
    for (let i = 1; i <= 5; i++) {
      vi.setSystemTime(T0 + i * 1000);
      const r = await login(USERS.iago.email, "wrong-password");
      expect(r.status).toBe(401);
      expect(r.headers.get("x-ratelimit-limit")).toBe("5");
      expect(r.headers.get("x-ratelimit-remaining")).toBe(String(5 - i));
      // As Zulip's: the newest attempt plus the window.
      expect(r.headers.get("x-ratelimit-reset")).toBe(String(Math.floor((T0 + i * 1000 + 1800_000) / 1000)));
    }
    vi.setSystemTime(T0 + 10_000);
    const limited = await login(USERS.iago.email, USERS.iago.password);
    expect(limited.status).toBe(429);
    expect(Object.keys(limited.body)).toEqual(["result", "msg", "code", "retry-after"]);
    expect(limited.body).toMatchObject({ result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT" });
    // The oldest attempt (T0+1 s) leaves the window at T0+1801 s.
    expect(limited.body["retry-after"]).toBeCloseTo(1791, 3);
    expect(limited.headers.get("retry-after")).toBe("1791");
    expect(limited.headers.get("x-ratelimit-limit")).toBe("5");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-ratelimit-reset")).toBe(String(Math.floor((T0 + 1801_000) / 1000)));
  });

  it("(a) is per address: the hammered user logs in from another address, and its headers show its own bucket", async () => {
    for (let i = 0; i < 5; i++) await login(USERS.iago.email, "wrong-password", { address: "203.0.113.9" });
    expect((await login(USERS.iago.email, USERS.iago.password, { address: "203.0.113.9" })).status).toBe(429);
    const ok = await login(USERS.iago.email, USERS.iago.password, { address: "198.51.100.7" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("an IPv6 /64 is one address", async () => {
    for (let i = 0; i < 5; i++) await login(USERS.iago.email, "wrong-password", { address: `2001:db8:1:2::${i + 1}` });
    expect((await login(USERS.iago.email, USERS.iago.password, { address: "2001:db8:1:2:ffff::1" })).status).toBe(429);
    expect((await login(USERS.iago.email, USERS.iago.password, { address: "2001:db8:1:3::1" })).status).toBe(200);
  });

  it("the sliding log frees one slot, not five, when the oldest attempt expires", async () => {
    for (let i = 0; i < 5; i++) {
      vi.setSystemTime(T0 + i * 60_000);
      expect((await login(USERS.iago.email, "wrong-password")).status).toBe(401);
    }
    vi.setSystemTime(T0 + 1800_000 - 1);
    expect((await login(USERS.iago.email, "wrong-password")).status).toBe(429);
    vi.setSystemTime(T0 + 1800_000);
    const freed = await login(USERS.iago.email, "wrong-password");
    expect(freed.status).toBe(401);
    expect(freed.headers.get("x-ratelimit-remaining")).toBe("0");
    const next = await login(USERS.iago.email, USERS.iago.password);
    expect(next.status).toBe(429);
    // The second oldest (T0+60 s) frees the next slot.
    expect(next.body["retry-after"]).toBeCloseTo(60, 3);
  });

  it("a success empties (a) for that address and nothing else", async () => {
    for (let i = 0; i < 4; i++) await login(USERS.iago.email, "wrong-password");
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(USERS.iago.email, "wrong-password")).status).toBe(401);
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
    // (c) still holds iago's four failures from before the success; the five after it came from the address
    // he logged in from, which (c) no longer counts.
    const rows = await s.store.db.selectFrom("attempt_log").select(["rule"]).where("rule", "=", "user").execute();
    expect(rows).toHaveLength(4);
  });

  it("a success in another organization resets nothing of this one's", async () => {
    await s.admin.addUser("lear", USERS.iago.email, "attacker-Owned-77");
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 2; i++) await login(USERS.iago.email, "a-guess-0000");
      expect((await login(USERS.iago.email, "attacker-Owned-77", { host: "lear.zulip.test" })).status).toBe(200);
    }
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
  });

  it("a password change (from any process) clears (a) and (c)", async () => {
    for (let i = 0; i < 5; i++) await login(USERS.iago.email, "wrong-password");
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
    vi.setSystemTime(T0 + 60_000);
    await s.admin.setPassword("", USERS.iago.email, "a-brand-new-Passw0rd");
    vi.setSystemTime(T0 + 61_000);
    expect((await login(USERS.iago.email, "a-brand-new-Passw0rd")).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await login(USERS.iago.email, "wrong-password")).status).toBe(401);
    expect((await login(USERS.iago.email, "a-brand-new-Passw0rd")).status).toBe(429);
  });

  it("(b) cuts off an address spraying usernames; other addresses go on", async () => {
    const sprayed = Array.from({ length: 30 }, (_, i) => `user${i}@zulip.com`);
    for (const username of sprayed) expect((await login(username, "Spring2026!", { address: "192.0.2.66" })).status).toBe(401);
    const cut = await login(USERS.hamlet.email, USERS.hamlet.password, { address: "192.0.2.66" });
    expect(cut.status).toBe(429);
    // The caller's own bucket (a) for hamlet is empty: the headers say only that nothing may be tried now.
    expect(cut.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await login(USERS.hamlet.email, USERS.hamlet.password, { address: "192.0.2.67" })).status).toBe(200);
  });

  it("(c) stops guessing spread over many addresses, for that user only", async () => {
    for (let i = 0; i < 100; i++) expect((await login(USERS.iago.email, "wrong-password", { address: `10.0.${i >> 8}.${i & 255}` })).status).toBe(401);
    expect((await login(USERS.iago.email, USERS.iago.password, { address: "10.9.9.9" })).status).toBe(429);
    expect((await login(USERS.hamlet.email, USERS.hamlet.password, { address: "10.9.9.9" })).status).toBe(200);
  });

  it("steps 1–5 never count: method, missing parameters, unknown subdomain, invalid email", async () => {
    for (let i = 0; i < 10; i++) {
      expect((await conformant("fetch-api-key", await s.request(PATH))).status).toBe(405);
      expect((await conformant("fetch-api-key", await s.request(PATH, form({ password: "x" })))).status).toBe(400);
      expect((await conformant("fetch-api-key", await s.request(PATH, form({ username: USERS.iago.email })))).status).toBe(400);
      expect((await login(USERS.iago.email, "wrong-password", { host: "nope.zulip.test" })).status).toBe(404);
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

  it("a password over 1024 bytes is a wrong password, counted", async () => {
    const long = "é".repeat(513); // 1026 bytes
    for (let i = 0; i < 5; i++) expect((await login(USERS.iago.email, long)).status).toBe(401);
    expect((await login(USERS.iago.email, USERS.iago.password)).status).toBe(429);
  });

  it("answers an unknown user and a wrong password with identical status, body and rate-limit headers", async () => {
    const a = await login("ghost@zulip.com", "some-password");
    const b = await login(USERS.hamlet.email, "some-password");
    expect(a.text).toBe(b.text);
    for (const h of ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "content-type"]) expect(a.headers.get(h), h).toBe(b.headers.get(h));
    expect([...a.headers.keys()].sort()).toEqual([...b.headers.keys()].sort());
  });

  it("keeps storage bounded: refused attempts are not recorded, expired ones are pruned", async () => {
    for (let i = 0; i < 50; i++) await login(USERS.iago.email, "wrong-password");
    const count = async () =>
      Number(
        (
          await s.store.db
            .selectFrom("attempt_log")
            .select((e) => e.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    // 5 in (a), 5 in (b), 5 in (c): the 45 refused ones left nothing.
    expect(await count()).toBe(15);
    vi.setSystemTime(T0 + 1800_001);
    await s.limiter!.log.prune(Date.now());
    expect(await count()).toBe(0);
  });
});

describe("the rules are configurable", () => {
  it("parses ATTEMPTS/SECONDS and off", () => {
    expect(parseRateLimit("5/1800")).toEqual({ attempts: 5, windowSeconds: 1800 });
    expect(parseRateLimit("off")).toBeNull();
    expect(formatRateLimit({ attempts: 30, windowSeconds: 1800 })).toBe("30/1800");
    expect(() => parseRateLimit("5")).toThrow(/ATTEMPTS\/SECONDS/);
    expect(() => parseRateLimit("0/10")).toThrow();
  });

  it("applies another rule, and none when all are off", async () => {
    const strict = await createTestServer({ limits: { userAddress: { attempts: 2, windowSeconds: 60 } } });
    const off = await createTestServer({ limits: { userAddress: null, address: null, user: null } });
    for (const [t, expected] of [
      [strict, [401, 401, 429]],
      [off, [401, 401, 401]],
    ] as const) {
      const seen = [];
      for (let i = 0; i < 3; i++)
        seen.push((await conformant("fetch-api-key", await t.request(PATH, form({ username: USERS.iago.email, password: "wrong-password" })))).status);
      expect(seen).toEqual(expected);
    }
    const r = await conformant("fetch-api-key", await off.request(PATH, form({ username: USERS.iago.email, password: USERS.iago.password })));
    expect(r.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("with (a) off, (b) still refuses with a complete 429", async () => {
    const t = await createTestServer({ limits: { userAddress: null, address: { attempts: 2, windowSeconds: 60 } } });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof conformant<Body>>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: `u${i}@zulip.com`, password: "wrong-password" })));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
    expect(last!.headers.get("x-ratelimit-limit")).toBe("2");
  });
});
