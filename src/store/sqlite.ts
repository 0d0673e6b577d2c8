import { closeSync, constants, mkdirSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Kysely, SqliteDialect } from "kysely";
import Database from "libsql";
import { ResourceError } from "../shared/errors.ts";
import type { Database as Schema } from "./schema.ts";
import { sqliteWatch } from "./sqlite-watch.ts";
import { cachingStatements } from "./statement-cache.ts";
import { Store } from "./store.ts";

/**
 * Opens (creating if need be) an SQLite database file and brings its schema up to date. The file holds API
 * keys: it is created 0600 (SQLite gives its -wal and -shm files the database file's mode), and folders made
 * for it 0700. A path that cannot be used fails with a ResourceError naming the path and the OS's reason.
 * With `cache`, organizations are kept in memory and checked against the file's data_version on every lookup.
 */
export async function openSqliteStore(path: string, options: { cache?: boolean } = {}): Promise<Store> {
  const where = path === ":memory:" ? path : resolve(path);
  if (where !== ":memory:") createFile(where);
  let database: Database.Database | undefined;
  try {
    database = new Database(where);
    // WAL lets the CLI write while the server reads; synchronous=FULL makes a confirmed write survive a crash
    // or power loss; the busy timeout lets concurrent writers queue instead of failing. It comes first: libsql
    // starts with none, and switching to WAL takes a lock another process may hold for a moment (its closing
    // checkpoint), which failed a start-up at once with "database is locked".
    database.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    const kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cachingStatements(database as never) }) });
    const store = new Store(kysely, "sqlite", options.cache ? sqliteWatch(database) : undefined);
    await store.migrate();
    return store;
  } catch (error) {
    database?.close();
    throw new ResourceError(`cannot use the database file ${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Creates the file (0600) and its missing folders (0700) before SQLite opens it, so a bad path fails with
 * the OS's own reason rather than SQLite's "unable to open" code. Folders are made one at a time: Node's
 * recursive mkdir loops forever on some paths (under /proc).
 */
function createFile(path: string): void {
  const missing: string[] = [];
  for (let dir = dirname(path); !exists(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  try {
    for (const dir of missing) mkdirSync(dir, { mode: 0o700 });
    // Only a file that is not there yet: closing a descriptor of a database file drops every POSIX lock this
    // process holds on it, SQLite's own included (with it, a server kept reading an old state of the file
    // after two CLI commands had opened it).
    if (!exists(path)) closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch (error) {
    throw new ResourceError(`cannot use the database file ${path}: ${osReason(error)}`, { cause: error });
  }
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** "permission denied (EACCES)" from Node's "EACCES: permission denied, open '…'". */
function osReason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const text = /^[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
  return code ? `${text} (${code})` : text;
}
