import type { ChangeWatch } from "./change-watch.ts";

/**
 * SQLite's `PRAGMA data_version`: it changes when another connection (the CLI, another process) commits to the
 * file, so a cache checked against it sees an operator's change on the next request. One native call (~3 µs),
 * a fraction of a query through Kysely. Commits on this connection do not move it: the store invalidates those.
 */
export function sqliteWatch(database: { prepare(sql: string): { get(): unknown } }): ChangeWatch {
  const statement = database.prepare("PRAGMA data_version");
  return {
    version: () => (statement.get() as { data_version: number }).data_version,
    close: async () => {},
  };
}
