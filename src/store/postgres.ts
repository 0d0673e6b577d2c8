import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { postgresWatch } from "./postgres-watch.ts";
import type { Database as Schema } from "./schema.ts";
import { Store } from "./store.ts";

/** How the PostgreSQL store bounds its waits, and where it reports connections that fail while idle. */
export interface PostgresOptions {
  /** Longest wait for a connection and for any one query, in milliseconds. */
  timeoutMs: number;
  /** Connections kept per instance. */
  poolSize?: number;
  /** An idle connection broke (the server restarted): the pool drops it and opens a new one when needed. */
  onIdleError?: (error: Error) => void;
  /** Keeps organizations in memory, dropped on the NOTIFY of any process's change (a listening connection of its own). */
  cache?: boolean;
  onWatchStateChange?: (state: "listening" | "lost", error?: Error) => void;
  /** The listener heard that the organizations changed. */
  onWatchChange?: () => void;
}

/** A store on a PostgreSQL pool; nothing is connected until the first query. */
export function createPostgresStore(url: string, options: PostgresOptions): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.timeoutMs,
    // Client side (a server that stopped answering) and server side (a query stuck on a lock).
    query_timeout: options.timeoutMs,
    statement_timeout: options.timeoutMs,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    application_name: "zulip-auth",
  });
  // Without a listener an idle connection's error (a PostgreSQL restart) would crash the process.
  pool.on("error", options.onIdleError ?? (() => {}));
  // pg-pool takes its idle listener off a client while it is lent out; a connection that ends then (PostgreSQL
  // stopped mid-query) fails the client's queries, whose rejections carry the error, and also emits "error" on
  // the client, which with no listener would crash the process.
  pool.on("connect", (client) => client.on("error", () => {}));
  return new Store(new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) }), "postgres");
}

/** Connects to PostgreSQL and creates or upgrades the schema. */
export async function openPostgresStore(url: string, options: PostgresOptions): Promise<Store> {
  const store = createPostgresStore(url, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => {});
    throw error;
  }
  if (!options.cache) return store;
  // Listening starts once the schema (and its trigger) exists; until the listener is up, lookups read the database.
  const watch = postgresWatch(url, {
    timeoutMs: options.timeoutMs,
    ...(options.onWatchStateChange ? { onStateChange: options.onWatchStateChange } : {}),
    ...(options.onWatchChange ? { onChange: options.onWatchChange } : {}),
  });
  return new Store(store.db, "postgres", watch);
}
