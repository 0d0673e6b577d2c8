import { safeUrl } from "../safe-url.ts";
import { UnavailableError } from "../unavailable.ts";
import { isPostgresUrl } from "./postgres-url.ts";
import { StoreOpenError } from "./open-error.ts";
import { openSqliteStore } from "./sqlite.ts";
import { DEFAULT_SERVICE_TIMEOUT_MS } from "./service-timeout.ts";
import type { Store } from "./store.ts";

/** Where the data lives: PostgreSQL when a database URL is given, else the embedded SQLite file. */
export interface StoreLocation {
  databaseUrl?: string | undefined;
  sqlitePath: string;
  /** Bound on every PostgreSQL wait, in milliseconds. */
  timeoutMs?: number;
  onIdleError?: (error: Error) => void;
}

export { StoreOpenError } from "./open-error.ts";

export { DEFAULT_SERVICE_TIMEOUT_MS } from "./service-timeout.ts";

/** Opens the store the location names, with its schema up to date. */
export async function openStore(location: StoreLocation): Promise<Store> {
  const url = location.databaseUrl;
  if (url === undefined || url === "") return openSqliteStore(location.sqlitePath);
  if (!isPostgresUrl(url)) throw new StoreOpenError(`unsupported database URL ${safeUrl(url)}: use postgres://user@host:port/database`);
  try {
    // The PostgreSQL driver loads only for a PostgreSQL URL: the SQLite default (and the CLI) never pay for it.
    const { openPostgresStore } = await import("./postgres.ts");
    return await openPostgresStore(url, {
      timeoutMs: location.timeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS,
      ...(location.onIdleError ? { onIdleError: location.onIdleError } : {}),
    });
  } catch (error) {
    const cause = error instanceof UnavailableError ? error.cause : error;
    throw new StoreOpenError(`cannot use the database at ${safeUrl(url)}: ${(cause as Error).message ?? String(cause)}`, { cause: error });
  }
}
