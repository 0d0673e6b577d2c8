import { watch } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * Resolves once `check` holds for the SQLite database at `path`: asked now, then again each time a write
 * reaches the database's file or its write-ahead log (a commit by this process or another). Readers touch
 * only the `-shm` index, so asking does not wake the wait itself. No deadline of its own: a row that never
 * comes fails the test at vitest's timeout.
 */
export function untilDatabaseShows(path: string, check: () => Promise<boolean>): Promise<void> {
  const file = basename(path);
  return new Promise((resolve, reject) => {
    let settled = false;
    let asking = false;
    let again = false;
    const finish = (error?: unknown) => {
      settled = true;
      watcher.close();
      if (error === undefined) resolve();
      else reject(error);
    };
    const ask = async () => {
      if (settled) return;
      if (asking) {
        again = true;
        return;
      }
      asking = true;
      try {
        do {
          again = false;
          if (await check()) return finish();
        } while (again);
      } catch (error) {
        finish(error);
      } finally {
        asking = false;
      }
    };
    // Watching starts before the first look, so no write falls between them.
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === file || name === `${file}-wal`) void ask();
    });
    void ask();
  });
}
