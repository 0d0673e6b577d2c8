import type { ChangeWatch } from "./change-watch.ts";
import { requestTurn } from "./request-turn.ts";

/**
 * SQLite's `PRAGMA data_version`: it changes when another connection (the CLI, another process) commits to the
 * file, so a cache checked against it sees an operator's change on the next request. One native call (~3 µs,
 * a read transaction with its two locks), a fraction of a query through Kysely, but still the largest share
 * of a server_settings answer: it is read once per request turn (request-turn.ts says why that is as exact as
 * once per request) and once per call outside one. Commits on this connection do not move it: the store
 * invalidates those.
 */
export function sqliteWatch(database: { prepare(sql: string): { raw(toggle?: boolean): { get(): unknown } } }): ChangeWatch {
  // raw(): an array rather than an object per read.
  const statement = database.prepare("PRAGMA data_version").raw(true);
  const read = () => (statement.get() as [number])[0];
  let readIn: number | undefined;
  let value = 0;
  return {
    version: () => {
      const turn = requestTurn();
      if (turn === undefined) return read();
      if (readIn !== turn) {
        value = read();
        readIn = turn;
      }
      return value;
    },
    close: async () => {},
  };
}
