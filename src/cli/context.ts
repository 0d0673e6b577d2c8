import { Option } from "commander";
import { argument } from "./arguments.ts";
import { Admin } from "../admin/admin.ts";
import { OWASP_MINIMUM, parseHashParams, PasswordHasher, type HashParams } from "../auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../auth/password-policy.ts";
import { DEFAULT_SQLITE_PATH, openStore } from "../store/open.ts";

/** The --db option every command takes. */
export const dbOption = () => new Option("--db <path>", "SQLite database file").env("ZULIP_AUTH_DB").default(DEFAULT_SQLITE_PATH);

/** The --database-url option every command takes: PostgreSQL instead of the SQLite file. */
export const databaseUrlOption = () =>
  new Option("--database-url <url>", "PostgreSQL database (postgres://user@host:port/db) instead of the SQLite file; the password is best left to DATABASE_URL or PGPASSWORD").env("DATABASE_URL");

/** Where a command finds the database: the two options above. */
export interface DatabaseOptions {
  db: string;
  databaseUrl?: string;
}

const { memoryCost: m, timeCost: t, parallelism: p } = OWASP_MINIMUM;

/** The argon2id parameters new hashes get (the server's and the CLI's must agree, or logins rehash). */
export const argon2Option = () =>
  new Option("--argon2 <m=KiB,t=passes,p=lanes>", "argon2id parameters for new hashes")
    .env("ZULIP_AUTH_ARGON2")
    .default(OWASP_MINIMUM, `m=${m},t=${t},p=${p} (OWASP's minimum)`)
    .argParser(argument(parseHashParams));

/** Runs an operator action against the database (brought up to date first), closing it afterwards. */
export async function withAdmin<T>(where: DatabaseOptions, action: (admin: Admin) => Promise<T>, hashParams: HashParams = OWASP_MINIMUM): Promise<T> {
  const store = await openStore({ databaseUrl: where.databaseUrl, sqlitePath: where.db });
  try {
    return await action(new Admin(store, new PasswordHasher(hashParams), DEFAULT_PASSWORD_POLICY));
  } finally {
    await store.close();
  }
}

/** Prints rows as JSON or as aligned columns. */
export function printRows(rows: Record<string, unknown>[], json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
    return;
  }
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const cells = [columns, ...rows.map((r) => columns.map((c) => String(r[c])))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  for (const row of cells) process.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd() + "\n");
}

/** Parses on/off. */
export function onOff(value: string): boolean {
  if (value === "on") return true;
  if (value === "off") return false;
  throw new Error(`expected on or off, not "${value}"`);
}
