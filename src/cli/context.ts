import { resolve } from "node:path";
import { Admin } from "../admin/admin.ts";
import { type HashParams, OWASP_MINIMUM, PasswordHasher } from "../auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../auth/password-rules.ts";
import { safeUrl } from "../shared/url.ts";
import { openStore } from "../store/open.ts";
import type { DatabaseOptions } from "./options.ts";
import { visible, visibleJson } from "./visible.ts";

// What the database commands run (loaded by their actions only, so --help stays fast).

/**
 * Runs an operator action against the database (brought up to date first), closing it afterwards. The SQLite
 * file must exist unless `create` (`org add`, the first step of setting a database up).
 */
export async function withAdmin<T>(
  where: DatabaseOptions,
  action: (admin: Admin) => Promise<T>,
  { hashParams = OWASP_MINIMUM, create = false }: { hashParams?: HashParams; create?: boolean } = {},
): Promise<T> {
  const store = await openStore({ databaseUrl: where.databaseUrl, sqlitePath: where.db, create });
  try {
    return await action(new Admin(store, new PasswordHasher(hashParams), DEFAULT_PASSWORD_POLICY));
  } finally {
    await store.close();
  }
}

/** The database a command used, for messages: the SQLite file's absolute path or the PostgreSQL URL without its password. */
export function databaseName(where: DatabaseOptions): string {
  return where.databaseUrl ? safeUrl(where.databaseUrl) : resolve(where.db);
}

/**
 * Prints rows as JSON or as aligned columns, every control character escaped (see visible, visibleJson); with no
 * rows, prints `empty` on stderr instead (say where it looked).
 */
export function printRows(rows: Record<string, unknown>[], json: boolean, empty: string): void {
  if (json) {
    process.stdout.write(visibleJson(rows) + "\n");
    return;
  }
  if (rows.length === 0) {
    process.stderr.write(`${empty}\n`);
    return;
  }
  const columns = Object.keys(rows[0]!);
  const cells = [columns, ...rows.map((r) => columns.map((c) => visible(String(r[c]))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  for (const row of cells)
    process.stdout.write(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd() + "\n",
    );
}
