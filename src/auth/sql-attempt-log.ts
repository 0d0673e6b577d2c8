import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import { guard } from "../shared/unavailable.ts";
import { isDatabaseOutage } from "../store/outage.ts";
import type { PreparedQueries } from "../store/prepared.ts";
import type { Database } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import {
  type AttemptLog,
  type Bucket,
  type BucketEntries,
  type BucketFilter,
  KNOWN_ADDRESS_MS,
  KNOWN_ADDRESSES,
  type KnownAddress,
  type LogRequest,
  matches,
  type RuleName,
  type Success,
} from "./attempt-log.ts";

type Db = Kysely<Database>;

/** What a successful login gives back, waiting for the log's next write. */
interface Release {
  clear: Bucket[];
  remove: Bucket[];
  id: string;
  /** The successful attempt's time: `clear` empties its buckets of entries up to it only. */
  upTo: number;
  /** What the success adds at `upTo`. */
  success: Success;
}

/** The longest a success's release waits for the next attempt's transaction before it is written alone. */
const RELEASE_WAIT_MS = 50;
/** Releases kept while the database does not answer; past it the oldest are dropped (their entries expire). */
const MAX_RELEASES = 10_000;

/**
 * Sliding logs in the store's `attempt_log` table (SQLite or PostgreSQL). Each record() is one transaction;
 * on PostgreSQL it first takes an advisory lock per bucket, so instances sharing the database count exactly.
 *
 * A successful login's release (its rule (a) bucket emptied, its entry taken out of (b) and (c)) is written
 * with the next attempt's transaction, or alone after RELEASE_WAIT_MS: a login is then one transaction, one
 * commit (and, with SQLite's synchronous=FULL, one fsync) rather than three. Every read of this log applies
 * the waiting releases first, so this process counts exactly as before. Another process sharing the database
 * sees a release up to RELEASE_WAIT_MS late: in that time it counts the success's attempt still, which can
 * only refuse sooner, never allow more than the rules; a late release empties a bucket only of the entries
 * up to the success, never of failures recorded after it. close() writes what waits; a crash loses what
 * waits, which leaves those entries counted until they expire.
 */
export class SqlAttemptLog implements AttemptLog {
  private readonly db: Db;
  private readonly prepared: PreparedQueries<Database>;
  private releases: Release[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {
    this.db = store.db;
    this.prepared = store.prepared;
  }

  async release(clear: Bucket[], remove: Bucket[], id: string, upTo: number, success: Success): Promise<void> {
    if (this.releases.length >= MAX_RELEASES) this.releases.shift();
    this.releases.push({ clear, remove, id, upTo, success });
    this.timer ??= setTimeout(() => void this.writeReleases().catch(() => {}), RELEASE_WAIT_MS).unref();
  }

  record(requests: LogRequest[], now: number, id: string): Promise<{ recorded: boolean; times: number[][] }> {
    return this.run(() =>
      this.withReleases(async (trx) => {
        if (this.store.dialect === "postgres") {
          // Sorted, so two transactions never wait on each other's locks in opposite orders.
          for (const key of requests.map((r) => bucketKey(r.bucket)).sort()) await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
        }
        // One statement reads every bucket's entries; expired ones (rare: a success takes its entries back out)
        // are then dropped in one more. A statement per bucket cost most of a login's work on the event loop.
        const n = requests.length;
        const { rows } = await this.prepared.run(
          trx,
          `log.read.${n}`,
          (db, slot) =>
            db
              .selectFrom("attempt_log")
              .select(["rule", "at"])
              .where((eb) => eb.or(range(n).map((i) => eb.and(bucketIs(eb, slot, 4 * i)))))
              .orderBy("at"),
          requests.flatMap((r) => bucketValues(r.bucket)),
        );
        // Each bucket has its own rule, and drops what is older than its window or the password's last change.
        const cutoffs = requests.map((r) => Math.max(now - r.windowMs, r.since ?? 0));
        let times = requests.map((r) => rows.filter((row) => row.rule === r.bucket.rule).map((row) => Number(row.at)));
        if (times.some((t, i) => t.length > 0 && t[0]! <= cutoffs[i]!)) {
          await this.prepared.run(
            trx,
            `log.expire.${n}`,
            (db, slot) =>
              db
                .deleteFrom("attempt_log")
                .where((eb) => eb.or(range(n).map((i) => eb.and([...bucketIs(eb, slot, 5 * i), eb("at", "<=", slot<number>(5 * i + 4))])))),
            requests.flatMap((r, i) => [...bucketValues(r.bucket), cutoffs[i]]),
          );
          times = times.map((t, i) => t.filter((at) => at > cutoffs[i]!));
        }
        const recorded = requests.every((r, i) => times[i]!.length < r.attempts);
        const counted = requests.filter((r) => !r.checkOnly);
        if (recorded && counted.length > 0) {
          await this.insert(trx, counted, now, id);
          requests.forEach((r, i) => {
            if (!r.checkOnly) times[i]!.push(now);
          });
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

  async isKnownAddress(user: KnownAddress, since: number): Promise<boolean> {
    // A success still waiting to be written counts already.
    if (this.releases.some((r) => r.success.remember && r.upTo > since && sameAddress(r.success.remember, user))) return true;
    const row = await this.run(() =>
      this.prepared.first(
        this.db,
        "log.known",
        (db, slot) =>
          db
            .selectFrom("known_addresses")
            .select("at")
            .where("org", "=", slot<string>(0))
            .where("username", "=", slot<string>(1))
            .where("address", "=", slot<string>(2))
            .where("at", ">", slot<number>(3)),
        [user.org, user.username, user.address, since],
      ),
    );
    return row !== undefined;
  }

  async rememberAddress(user: KnownAddress, at: number): Promise<void> {
    await this.run(() => this.transaction((trx) => this.remember(trx, user, at)));
  }

  async list(filter: BucketFilter, now: number): Promise<BucketEntries[]> {
    await this.run(() => this.writeReleases());
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
    await this.run(() =>
      this.db
        .deleteFrom("known_addresses")
        .where("at", "<=", now - KNOWN_ADDRESS_MS)
        .execute(),
    );
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  /** Writes the releases still waiting; the store belongs to the server, which closes it. */
  async close(): Promise<void> {
    await this.run(() => this.writeReleases());
  }

  /** Writes the waiting releases now, in one transaction of their own (none when nothing waits). */
  private async writeReleases(): Promise<void> {
    if (this.releases.length === 0) return;
    await this.withReleases(async () => {});
  }

  /**
   * Runs `work` in a transaction that first applies the waiting releases. They are taken inside it, once it
   * holds the connection, and put back if it fails, so none is lost or applied twice.
   */
  private withReleases<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    let taken: Release[] = [];
    return this.transaction(async (trx) => {
      taken = this.releases;
      this.releases = [];
      for (const r of taken) {
        // Never an entry recorded after the success (by another instance, while this release waited).
        const [c, d] = [r.clear.length, r.remove.length];
        if (c + d > 0) {
          await this.prepared.run(
            trx,
            `log.release.${c}.${d}`,
            (db, slot) =>
              db
                .deleteFrom("attempt_log")
                .where((eb) =>
                  eb.or([
                    ...range(c).map((i) => eb.and([...bucketIs(eb, slot, 5 * i), eb("at", "<=", slot<number>(5 * i + 4))])),
                    ...range(d).map((i) => eb.and([...bucketIs(eb, slot, 5 * (c + i)), eb("id", "=", slot<string>(5 * (c + i) + 4))])),
                  ]),
                ),
            [...r.clear.flatMap((b) => [...bucketValues(b), r.upTo]), ...r.remove.flatMap((b) => [...bucketValues(b), r.id])],
          );
        }
        if (r.success.remember) await this.remember(trx, r.success.remember, r.upTo);
        if (r.success.count.length > 0) await this.insert(trx, r.success.count, r.upTo, r.id);
      }
      return work(trx);
    }).catch((error: unknown) => {
      this.releases = [...taken, ...this.releases];
      // Tried again later (a second, not every RELEASE_WAIT_MS, while the database does not answer).
      if (this.releases.length > 0) this.timer ??= setTimeout(() => void this.writeReleases().catch(() => {}), 1_000).unref();
      throw error;
    });
  }

  /**
   * A transaction on the log. On SQLite it commits with `synchronous = NORMAL` (the store sets the connection back
   * to FULL, sqlite.ts's setting, before any other write): in WAL mode that still survives the process crashing, and only an
   * operating-system crash or power cut can lose the last commits. With FULL each login waited for an fsync
   * on the event loop (libsql is synchronous): about 2.4 ms per login here, during which no other request was
   * answered and no finished hash handed over. Counters are what a power cut may roll back, by a fraction of a
   * second of attempts, as a Redis attempt log (which does not fsync each write) would; users, keys and the
   * audit trail keep FULL.
   */
  private transaction<T>(work: (trx: Db) => Promise<T>): Promise<T> {
    return this.store.withSynchronous("NORMAL", (db) => db.transaction().execute(work));
  }

  /** Records entry `id` at `at` in these buckets. */
  private async insert(trx: Db, requests: LogRequest[], at: number, id: string): Promise<void> {
    await this.prepared.run(
      trx,
      `log.insert.${requests.length}`,
      (db, slot) =>
        db.insertInto("attempt_log").values(
          range(requests.length).map((i) => ({
            rule: slot<string>(8 * i),
            org: slot<string>(8 * i + 1),
            username: slot<string>(8 * i + 2),
            address: slot<string>(8 * i + 3),
            at: slot<number>(8 * i + 4),
            attempts: slot<number>(8 * i + 5),
            window_ms: slot<number>(8 * i + 6),
            id: slot<string>(8 * i + 7),
          })),
        ),
      requests.flatMap((r) => [...bucketValues(r.bucket), at, r.attempts, r.windowMs, id]),
    );
  }

  /** Notes a user's successful login from an address, and keeps only their KNOWN_ADDRESSES most recent ones. */
  private async remember(trx: Db, user: KnownAddress, at: number): Promise<void> {
    await this.prepared.run(
      trx,
      "log.remember",
      (db, slot) =>
        db
          .insertInto("known_addresses")
          .values({ org: slot<string>(0), username: slot<string>(1), address: slot<string>(2), at: slot<number>(3) })
          .onConflict((oc) => oc.columns(["org", "username", "address"]).doUpdateSet({ at: (eb) => eb.ref("excluded.at") })),
      [user.org, user.username, user.address, at],
    );
    await this.prepared.run(
      trx,
      "log.forget",
      (db, slot) =>
        db
          .deleteFrom("known_addresses")
          .where("org", "=", slot<string>(0))
          .where("username", "=", slot<string>(1))
          .where(
            "address",
            "not in",
            db
              .selectFrom("known_addresses")
              .select("address")
              .where("org", "=", slot<string>(0))
              .where("username", "=", slot<string>(1))
              .orderBy("at", "desc")
              .limit(KNOWN_ADDRESSES),
          ),
      [user.org, user.username],
    );
  }

  private run<T>(query: () => Promise<T>): Promise<T> {
    return guard("database", isDatabaseOutage, query);
  }
}

function sameAddress(a: KnownAddress, b: KnownAddress): boolean {
  return a.org === b.org && a.username === b.username && a.address === b.address;
}

/** One string naming a bucket (for locks and grouping). */
function bucketKey(b: Bucket): string {
  return JSON.stringify([b.rule, b.org, b.username, b.address]);
}

/** The conditions naming a bucket's rows (the attempt_log_bucket index's leading columns), its values from slot `at` on. */
function bucketIs(eb: ExpressionBuilder<Database, "attempt_log">, slot: <T>(index: number) => T, at: number) {
  return [
    eb("rule", "=", slot<string>(at)),
    eb("org", "=", slot<string>(at + 1)),
    eb("username", "=", slot<string>(at + 2)),
    eb("address", "=", slot<string>(at + 3)),
  ];
}

/** A bucket's values, in bucketIs's order. */
function bucketValues(b: Bucket): string[] {
  return [b.rule, b.org, b.username, b.address];
}

/** 0, 1, …, n − 1. */
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

// Kysely's builders share no narrower type with a `where` on attempt_log than this.
// biome-ignore lint/suspicious/noExplicitAny: see above
function where<Q extends { where: (...args: any[]) => any }>(query: Q, b: Bucket): Q {
  return query.where("rule", "=", b.rule).where("org", "=", b.org).where("username", "=", b.username).where("address", "=", b.address) as Q;
}
