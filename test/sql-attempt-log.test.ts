import { afterAll, describe, expect, it } from "vitest";
import { LoginLimiter } from "../src/auth/login-limiter.ts";
import { DEFAULT_LIMIT_RULES } from "../src/auth/rate-limit.ts";
import { SqlAttemptLog } from "../src/auth/sql-attempt-log.ts";
import { openPostgresStore } from "../src/store/postgres.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { Store } from "../src/store/store.ts";
import { createDatabase, missingServices, need } from "./helpers/service-env.ts";

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
      expect(rows.map((r) => [r.bucket.rule, r.times.length]).sort()).toEqual([
        ["address", 5],
        ["user", 5],
        ["user-address", 5],
      ]);
    });
  }
});
