/** Default bound on a PostgreSQL, Redis or LDAP wait, in milliseconds. */
export const DEFAULT_SERVICE_TIMEOUT_MS = 3_000;
