import { type Stats, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ResourceError } from "../shared/errors.ts";
import { UnavailableError } from "../shared/unavailable.ts";
import { safeUrl } from "../shared/url.ts";
import type { Store } from "./store.ts";

/** Where the data lives: PostgreSQL when a database URL is given, else the embedded SQLite file. */
export interface StoreLocation {
  databaseUrl?: string | undefined;
  sqlitePath: string;
  /**
   * Creates the SQLite file (and its folders) when it is missing: only for what sets a database up (`serve`,
   * `org add`). Everything else opens an existing file, so a mistyped --db is reported, not made.
   */
  create?: boolean;
  /** Bound on every PostgreSQL wait, in milliseconds. */
  timeoutMs?: number;
  onIdleError?: (error: Error) => void;
  /**
   * Keeps organizations in memory, dropped exactly when any process changes them (a server sets it; a one-shot
   * CLI command has no use for it, nor for PostgreSQL's extra listening connection).
   */
  cache?: boolean;
  /** The PostgreSQL listener lost its connection or got it back. */
  onWatchStateChange?: (state: "listening" | "lost", error?: Error) => void;
  /** The PostgreSQL listener heard that the organizations changed. */
  onWatchChange?: () => void;
}

/** Default bound on a PostgreSQL, Redis or LDAP wait, in milliseconds. */
export const DEFAULT_SERVICE_TIMEOUT_MS = 3_000;

/** Whether a database URL names PostgreSQL. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The path's stat, or undefined when there is nothing there to open (ENOENT, or ENOTDIR under a file). */
function stat(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Refuses, in one sentence naming the path, a folder or (unless `create`) a missing file. */
function checkSqlitePath(path: string, create: boolean): void {
  if (path === ":memory:") return;
  const where = resolve(path);
  const found = stat(where);
  if (found?.isDirectory())
    throw new ResourceError(`cannot use the database file ${where}: it is a folder (give the file's path, such as ${join(where, "zulip-auth.sqlite")})`);
  if (!found && !create)
    throw new ResourceError(`no database at ${where}: create it with zulip-auth org add, or name the right file with --db or ZULIP_AUTH_DB`);
}

/** Opens the store the location names, with its schema up to date. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const url = location.databaseUrl;
  // Only the driver in use is loaded (and held in memory).
  if (url === undefined || url === "") {
    checkSqlitePath(location.sqlitePath, location.create === true);
    return (await import("./sqlite.ts")).openSqliteStore(location.sqlitePath, { cache: location.cache ?? false });
  }
  if (!isPostgresUrl(url)) throw new ResourceError(`unsupported database URL ${safeUrl(url)}: use postgres://user@host:port/database`);
  try {
    // The PostgreSQL driver loads only for a PostgreSQL URL: the SQLite default (and the CLI) never pay for it.
    const { openPostgresStore } = await import("./postgres.ts");
    return await openPostgresStore(url, {
      timeoutMs: location.timeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS,
      ...(location.onIdleError ? { onIdleError: location.onIdleError } : {}),
      ...(location.cache ? { cache: true } : {}),
      ...(location.onWatchStateChange ? { onWatchStateChange: location.onWatchStateChange } : {}),
      ...(location.onWatchChange ? { onWatchChange: location.onWatchChange } : {}),
    });
  } catch (error) {
    const cause = error instanceof UnavailableError ? error.cause : error;
    throw new ResourceError(`cannot use the database at ${safeUrl(url)}: ${(cause as Error).message ?? String(cause)}`, { cause: error });
  }
}
