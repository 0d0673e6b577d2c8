import { OWASP_MINIMUM, parseHashParams } from "../auth/hash-params.ts";
import { LOG_LEVELS } from "../server/log-level.ts";
import { defaultSqlitePath } from "../store/default-path.ts";
import { DEFAULT_SERVICE_TIMEOUT_MS } from "../store/open.ts";
import { setting, type Values } from "./setting.ts";
import { listenHost, port, positiveWholeNumber, serviceUrl } from "./values.ts";

// The settings more than one command takes (setting.ts is the mechanism; serve-options.ts has serve's table).
// Definitions only: every command's --help is built from them, so they import nothing heavy.

/** The settings file every command reads (config-file.ts reads it before commander parses). */
export const CONFIG = setting({
  flag: "--config <file>",
  env: "ZULIP_AUTH_CONFIG",
  help: "read settings from an env-style file (NAME=value lines)",
  doc: "a settings file of the variables below ([one settings file](#starting-and-stopping)); every command takes it",
});

/** Where every database command finds the database. */
export const DATABASE = {
  db: setting({
    flag: "--db <path>",
    env: "ZULIP_AUTH_DB",
    help: "SQLite database file (created 0600 on first use)",
    doc: "SQLite database file (created 0600 on first use; [the database file](#the-database-file))",
    default: defaultSqlitePath(),
    defaultText: "$XDG_DATA_HOME/zulip-auth/zulip-auth.sqlite, else ~/.local/share/zulip-auth/zulip-auth.sqlite",
    unitValue: "/var/lib/zulip-auth/zulip-auth.sqlite",
  }),
  databaseUrl: setting({
    flag: "--database-url <url>",
    env: "DATABASE_URL",
    help: "PostgreSQL database (postgres://user@host:port/db) instead of the SQLite file; the password is best left to DATABASE_URL or PGPASSWORD",
    doc: "PostgreSQL (`postgres://user@host:port/db`) instead of `--db`; the schema is created or upgraded on start ([several instances](several-instances.md))",
    example: "postgres://zulip_auth:secret@db.example.com:5432/zulip_auth",
    parse: serviceUrl("--database-url (DATABASE_URL)", ["postgres:", "postgresql:"], "postgres://user@host:5432/database"),
  }),
};

/** Where a command finds the database. */
export type DatabaseOptions = Values<typeof DATABASE>;

/** The Redis the login-attempt counters are in, when not in the database. */
export const REDIS_URL = setting({
  flag: "--redis-url <url>",
  env: "REDIS_URL",
  help: "Redis for the login-attempt counters (instead of the database), shared by every instance that uses it (redis://[:password@]host:port[/db])",
  doc: "Redis (`redis://[:password@]host:port[/db]`) for the login-attempt counters (else the database), shared by every instance using it",
  example: "redis://:secret@127.0.0.1:6379",
  parse: serviceUrl("--redis-url (REDIS_URL)", ["redis:", "rediss:"], "redis://127.0.0.1:6379"),
});

const { memoryCost: m, timeCost: t, parallelism: p } = OWASP_MINIMUM;

/** The argon2id parameters new hashes get (the server's and the CLI's must agree, or logins rehash). */
export const ARGON2 = setting({
  flag: "--argon2 <m=KiB,t=passes,p=lanes>",
  env: "ZULIP_AUTH_ARGON2",
  help: "argon2id parameters for new hashes (the default is OWASP's minimum)",
  doc: "argon2id parameters of new hashes (memory KiB, passes, lanes; the default is OWASP's minimum); `user add` and `user set-password` take the same option, so keep them equal",
  default: OWASP_MINIMUM,
  defaultText: `m=${m},t=${t},p=${p}`,
  parse: parseHashParams,
});

/** The longest wait for a service (PostgreSQL, Redis, LDAP). */
export const SERVICE_TIMEOUT = setting({
  flag: "--service-timeout <ms>",
  env: "ZULIP_AUTH_SERVICE_TIMEOUT",
  help: "longest wait for PostgreSQL, Redis or LDAP before answering 503",
  doc: "longest wait, in ms, for PostgreSQL, Redis or LDAP before answering 503",
  default: DEFAULT_SERVICE_TIMEOUT_MS,
  parse: positiveWholeNumber(),
});

/** Where a server listens. */
export const LISTEN = {
  port: setting({
    flag: "--port <port>",
    env: "ZULIP_AUTH_PORT",
    help: "TCP port",
    doc: "TCP port (`0` picks a free one)",
    default: 9991,
    unitValue: "9991",
    parse: port,
  }),
  host: setting({
    flag: "--host <address>",
    env: "ZULIP_AUTH_HOST",
    help: "address to listen on",
    default: "127.0.0.1",
    unitValue: "127.0.0.1",
    parse: listenHost,
  }),
};

/** How a server's log is written. */
export const LOG = {
  level: setting({
    flag: "--log-level <level>",
    env: "LOG_LEVEL",
    help: "the least severe log lines written",
    doc: "`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`",
    choices: LOG_LEVELS,
    default: "info",
  }),
  format: setting({
    flag: "--log-format <format>",
    env: "ZULIP_AUTH_LOG_FORMAT",
    help: "json lines (for services), or pretty: time, level and message for a person",
    doc: "`json` lines, or `pretty` for a person ([logs](#logs))",
    choices: ["json", "pretty"],
    defaultText: "pretty when standard output is a terminal, else json",
    example: "json",
  }),
};
