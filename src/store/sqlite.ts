import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "libsql";
import { Kysely, SqliteDialect } from "kysely";
import type { Database as Schema } from "./schema.ts";
import { cachingStatements } from "./statement-cache.ts";
import { Store } from "./store.ts";

/** Where the embedded database lives unless told otherwise. */
export const DEFAULT_SQLITE_PATH = "./data/zulip-auth.sqlite";

/** Opens (creating if need be) an SQLite database file and brings its schema up to date. */
export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new Database(path);
  // WAL lets the CLI write while the server reads; synchronous=FULL makes a confirmed write survive a crash
  // or power loss; the busy timeout lets concurrent writers queue instead of failing.
  database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;");
  const store = new Store(new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingStatements(database as never) }) }), "sqlite");
  await store.migrate();
  return store;
}
