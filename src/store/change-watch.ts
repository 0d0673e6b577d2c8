/** The channel the organizations table's trigger notifies on every write (PostgreSQL, migration 0003). */
export const ORGANIZATIONS_CHANNEL = "zulip_auth_organizations";

/**
 * Tells an in-memory cache whether what it holds may still be served. `version()` changes whenever the watched
 * rows may have changed (in this process or any other), and is undefined while changes cannot be seen (a lost
 * PostgreSQL listener): then nothing may be served from memory.
 */
export interface ChangeWatch {
  version(): number | undefined;
  close(): Promise<void>;
}
