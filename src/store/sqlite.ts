import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";
import { Kysely, SqliteDialect } from "kysely";
import type { Database as Schema } from "./schema.ts";
import { sqliteWatch } from "./sqlite-watch.ts";
import { cachingStatements } from "./statement-cache.ts";
import { Store } from "./store.ts";

/**
 * Opens (creating if need be) an SQLite database file and brings its schema up to date; with `cache`,
 * organisations are kept in memory and checked against the file's data_version on every lookup.
 */
export async function openSqliteStore(path: string, options: { cache?: boolean } = {}): Promise<Store> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  // WAL lets the CLI write while the server reads; synchronous=FULL makes a confirmed write survive a crash
  // or power loss; the busy timeout lets concurrent writers queue instead of failing.
  database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
  const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingStatements(database as never) }) });
  const store = new Store(kysely, "sqlite", options.cache ? sqliteWatch(database) : undefined);
  await store.migrate();
  return store;
}
