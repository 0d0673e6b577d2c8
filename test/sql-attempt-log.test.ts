import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LoginLimiter } from "../src/auth/login-limiter.ts";
import { DEFAULT_LIMIT_RULES } from "../src/auth/rate-limit.ts";
import { SqlAttemptLog } from "../src/auth/sql-attempt-log.ts";
import { openPostgresStore } from "../src/store/postgres.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { Store } from "../src/store/store.ts";
import { createDatabase, missingServices, need } from "./helpers/service-env.ts";
import { untilDatabaseShows } from "./helpers/watch.ts";

const NO_POSTGRES = missingServices("postgres");
const WHO = { org: "", username: "race@zulip.com", address: "127.0.0.2" };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function stores(kind: "sqlite" | "postgres"): Promise<[Store, Store]> {
  if (kind === "sqlite") {
    const store = await openSqliteStore(":memory:");
    cleanups.push(() => store.close());
    return [store, store];
  }
  const db = await createDatabase();
  // Two pools, as two instances would have.
  const a = await openPostgresStore(db.url, { timeoutMs: 3000 });
  const b = await openPostgresStore(db.url, { timeoutMs: 3000 });
  cleanups.push(async () => {
    await a.close();
    await b.close();
    await db.drop();
  });
  return [a, b];
}

describe("the attempt log in the database", () => {
  for (const kind of ["sqlite", "postgres"] as const) {
    it(`records concurrent attempts exactly on ${kind}: 5 of 20 are allowed`, async (ctx) => {
      if (kind === "postgres") need(ctx, NO_POSTGRES);
      const [a, b] = await stores(kind);
      const limiters = [new LoginLimiter(new SqlAttemptLog(a), DEFAULT_LIMIT_RULES), new LoginLimiter(new SqlAttemptLog(b), DEFAULT_LIMIT_RULES)];
      const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => limiters[i % 2]!.attempt(WHO)));
      expect(attempts.filter((t) => t.allowed)).toHaveLength(5);
      const rows = await new SqlAttemptLog(a).list({}, Date.now());
      // (d) and (e) count successes only, once they happen.
      expect(rows.map((r) => [r.bucket.rule, r.times.length]).sort()).toEqual([
        ["address", 5],
        ["user", 5],
        ["user-address", 5],
      ]);
    });
  }
});

describe("a success's release, written with the next write", () => {
  const counts = async (log: SqlAttemptLog) =>
    Object.fromEntries((await log.list({}, Date.now())).map((r) => [r.bucket.rule, r.times.length]).sort()) as Record<string, number>;

  for (const kind of ["sqlite", "postgres"] as const) {
    it(`is seen by this process's next attempt and its reads at once, and by others once written (${kind})`, async (ctx) => {
      if (kind === "postgres") need(ctx, NO_POSTGRES);
      const [a, b] = await stores(kind);
      const log = new SqlAttemptLog(a);
      const limiter = new LoginLimiter(log, DEFAULT_LIMIT_RULES);
      // Four failures, then a success: (a) empties, the success's own entry leaves (b) and (c) and is counted
      // in (d) and (e).
      const fail = async () => expect((await limiter.attempt(WHO)).allowed).toBe(true);
      for (let i = 0; i < 4; i++) await fail();
      const success = await limiter.attempt(WHO);
      expect(success.decision?.remaining).toBe(0);
      await success.succeeded();
      expect(await counts(log)).toEqual({ address: 4, "address-success": 1, user: 4, "user-success": 1 });
      // Four more are allowed from this address: (a) was emptied before the next attempt was counted. The
      // address is now one the user logs in from: its failures no longer count under (c).
      for (let i = 0; i < 4; i++) await fail();
      await (await limiter.attempt(WHO)).succeeded();
      // Another connection (another instance, the CLI) sees the release once it is written; close() writes it.
      await log.close();
      expect(await counts(new SqlAttemptLog(b))).toEqual({ address: 8, "address-success": 2, user: 4, "user-success": 2 });
    });
  }

  it("empties rule (a) only of the attempts up to the success: a failure another instance records meanwhile stays", async () => {
    const [store] = await stores("sqlite");
    const [a, b] = [new SqlAttemptLog(store), new SqlAttemptLog(store)];
    const [here, there] = [new LoginLimiter(a, DEFAULT_LIMIT_RULES), new LoginLimiter(b, DEFAULT_LIMIT_RULES)];
    const who = { ...WHO, username: "late@zulip.com" };
    // The clock is the test's: the failure is recorded a millisecond after the success (entries are timed in ms).
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    try {
      await (await here.attempt(who)).succeeded();
      vi.setSystemTime(Date.now() + 1);
      expect((await there.attempt(who)).allowed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    // The release is written now, after the other instance's failure.
    await a.close();
    const left = (await b.list({}, Date.now())).map((r) => [r.bucket.rule, r.times.length]).sort();
    expect(left).toEqual([
      ["address", 1],
      ["address-success", 1],
      ["user", 1],
      ["user-address", 1],
      ["user-success", 1],
    ]);
  });

  it("is written on its own when no attempt follows", async () => {
    // A database file, so that its write is an event to wait on.
    const path = join(mkdtempSync(join(tmpdir(), "zulip-auth-release-")), "release.sqlite");
    const store = await openSqliteStore(path);
    cleanups.push(() => store.close());
    const log = new SqlAttemptLog(store);
    const limiter = new LoginLimiter(log, DEFAULT_LIMIT_RULES);
    await (await limiter.attempt(WHO)).succeeded();
    const rows = () => store.db.selectFrom("attempt_log").select("rule").where("rule", "not like", "%-success").execute();
    expect((await rows()).length).toBe(3);
    const known = () => store.db.selectFrom("known_addresses").selectAll().execute();
    expect(await known()).toEqual([]);
    // No read through this log: the release goes out by its timer, a write that empties the rows.
    await untilDatabaseShows(path, async () => (await rows()).length === 0);
    expect((await known()).map((k) => [k.username, k.address])).toEqual([[WHO.username, WHO.address]]);
  });
});

describe("durability on SQLite", () => {
  it("commits the log at synchronous NORMAL and every other write at FULL, whichever came last", async () => {
    const store = await openSqliteStore(":memory:");
    cleanups.push(() => store.close());
    const synchronous = async () => (await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(store.db)).rows[0]!.synchronous;
    // SQLite's numbers: 1 NORMAL, 2 FULL.
    expect(await synchronous()).toBe(2);
    const limiter = new LoginLimiter(new SqlAttemptLog(store), DEFAULT_LIMIT_RULES);
    await limiter.attempt(WHO);
    expect(await synchronous()).toBe(1);
    const org = await store.createOrganization("durable", "Durable");
    expect(await synchronous()).toBe(2);
    await limiter.attempt(WHO);
    expect(await synchronous()).toBe(1);
    await store.recordLoginAttempts([
      {
        time: new Date().toISOString(),
        organization: org.subdomain,
        endpoint: "fetch_api_key",
        username: "",
        user_id: null,
        ip: "127.0.0.2",
        client: "",
        outcome: "success",
        request_id: "r",
      },
    ]);
    expect(await synchronous()).toBe(2);
  });
});
