// Failures that mean "the database cannot be reached or refuses work right now", as opposed to a bug in a
// query. Only these become a 503; anything else stays an internal error.

/** Node's network errors: the server is down, unreachable or dropped the connection. */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * PostgreSQL SQLSTATE classes: 08 connection exception, 28 authorization refused, 3D database missing, 53
 * insufficient resources (too many connections), 57 operator intervention (shutdown, statement timeout), 58
 * system error (I/O).
 */
const POSTGRES_OUTAGE_CLASSES = new Set(["08", "28", "3D", "53", "57", "58"]);

/** node-postgres raises these without a code when a connection dies or a timeout passes. */
const POSTGRES_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable)/;

/** SQLite: locked past the busy timeout, disk full, or the file cannot be read or opened. */
const SQLITE_OUTAGE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN)/;

/** Whether a store failure is an outage of the database rather than a bug. */
export function isDatabaseOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code) || SQLITE_OUTAGE.test(code)) return true;
    // node-postgres' DatabaseError: a five-character SQLSTATE and a severity.
    if (/^[0-9A-Z]{5}$/.test(code) && "severity" in error) return POSTGRES_OUTAGE_CLASSES.has(code.slice(0, 2));
  }
  return POSTGRES_CONNECTION_MESSAGES.test(error.message);
}
