import { Option } from "commander";
import { OWASP_MINIMUM, parseHashParams } from "../auth/hash-params.ts";
import { defaultSqlitePath } from "../store/default-path.ts";
import { argument } from "./arguments.ts";
import { serviceUrl } from "./values.ts";

// Option definitions only: every command's --help is built from these, so they import nothing heavy.

/** The --db option every command takes. */
export const dbOption = () => new Option("--db <path>", "SQLite database file (created 0600 on first use)").env("ZULIP_AUTH_DB").default(defaultSqlitePath());

/** The --database-url option every command takes: PostgreSQL instead of the SQLite file. */
export const databaseUrlOption = () =>
  new Option(
    "--database-url <url>",
    "PostgreSQL database (postgres://user@host:port/db) instead of the SQLite file; the password is best left to DATABASE_URL or PGPASSWORD",
  )
    .env("DATABASE_URL")
    .argParser(serviceUrl("--database-url (DATABASE_URL)", ["postgres:", "postgresql:"], "postgres://user@host:5432/database"));

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
