import { sql, type Kysely } from "kysely";
import type { Database } from "../store/schema.ts";
import { isDatabaseOutage } from "../store/outage.ts";
import type { Store } from "../store/store.ts";
import { guard } from "../unavailable.ts";
import { matches, type AttemptLog, type Bucket, type BucketEntries, type BucketFilter, type LogRequest, type RuleName } from "./attempt-log.ts";

type Db = Kysely<Database>;

/**
 * Sliding logs in the store's `attempt_log` table (SQLite or PostgreSQL). Each record() is one transaction;
 * on PostgreSQL it first takes an advisory lock per bucket, so instances sharing the database count exactly.
 */
export class SqlAttemptLog implements AttemptLog {
  private readonly db: Db;

  constructor(private readonly store: Store) {
    this.db = store.db;
  }

  record(requests: LogRequest[], now: number, id: string): Promise<{ recorded: boolean; times: number[][] }> {
    return this.run(() =>
      this.db.transaction().execute(async (trx) => {
        if (this.store.dialect === "postgres") {
          // Sorted, so two transactions never wait on each other's locks in opposite orders.
          for (const key of requests.map((r) => bucketKey(r.bucket)).sort()) await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
        }
        const times: number[][] = [];
        for (const r of requests) {
          const cutoff = Math.max(now - r.windowMs, r.since ?? 0);
          await where(trx.deleteFrom("attempt_log"), r.bucket).where("at", "<=", cutoff).execute();
          const rows = await where(trx.selectFrom("attempt_log").select("at"), r.bucket).orderBy("at").execute();
          times.push(rows.map((row) => Number(row.at)));
        }
        const recorded = requests.every((r, i) => times[i]!.length < r.attempts);
        if (recorded) {
          await trx
            .insertInto("attempt_log")
            .values(requests.map((r) => ({ ...r.bucket, at: now, attempts: r.attempts, window_ms: r.windowMs, id })))
            .execute();
          for (const t of times) t.push(now);
        }
        return { recorded, times };
      }),
    );
  }

  async remove(buckets: Bucket[], id: string): Promise<void> {
    await this.run(async () => {
      for (const bucket of buckets) await where(this.db.deleteFrom("attempt_log"), bucket).where("id", "=", id).execute();
    });
  }

  async clear(buckets: Bucket[]): Promise<void> {
    await this.run(async () => {
      for (const bucket of buckets) await where(this.db.deleteFrom("attempt_log"), bucket).execute();
    });
  }

  async list(filter: BucketFilter, now: number): Promise<BucketEntries[]> {
    let query = this.db.selectFrom("attempt_log").selectAll();
    if (filter.username !== undefined) query = query.where("username", "=", filter.username);
    if (filter.org !== undefined) query = query.where("org", "=", filter.org);
    if (filter.address !== undefined) query = query.where("address", "=", filter.address);
    const rows = await this.run(() => query.orderBy("at").execute());
    const byBucket = new Map<string, BucketEntries>();
    for (const row of rows) {
      const bucket: Bucket = { rule: row.rule as RuleName, org: row.org, username: row.username, address: row.address };
      const at = Number(row.at);
      const windowMs = Number(row.window_ms);
      if (!matches(bucket, filter) || at + windowMs <= now) continue;
      const key = bucketKey(bucket);
      const entries = byBucket.get(key) ?? { bucket, times: [], attempts: row.attempts, windowMs };
      entries.times.push(at);
      // The newest entry's rule is the one in force.
      entries.attempts = row.attempts;
      entries.windowMs = windowMs;
      byBucket.set(key, entries);
    }
    return [...byBucket.values()];
  }

  async clearMatching(filter: BucketFilter): Promise<number> {
    const buckets = await this.list(filter, 0);
    await this.clear(buckets.map((b) => b.bucket));
    return buckets.length;
  }

  async prune(now: number): Promise<void> {
    // Each row expires by the window it was recorded under.
    await this.run(() => this.db.deleteFrom("attempt_log").where(sql<boolean>`at + window_ms <= ${now}`).execute());
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  /** The store belongs to the server, which closes it. */
  async close(): Promise<void> {}

  private run<T>(query: () => Promise<T>): Promise<T> {
    return guard("database", isDatabaseOutage, query);
  }
}

/** One string naming a bucket (for locks and grouping). */
function bucketKey(b: Bucket): string {
  return JSON.stringify([b.rule, b.org, b.username, b.address]);
}

// Kysely's builders share no narrower type with a `where` on attempt_log than this.
// biome-ignore lint/suspicious/noExplicitAny: see above
function where<Q extends { where: (...args: any[]) => any }>(query: Q, b: Bucket): Q {
  return query.where("rule", "=", b.rule).where("org", "=", b.org).where("username", "=", b.username).where("address", "=", b.address) as Q;
}
