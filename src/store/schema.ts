import type { Generated, Insertable, Selectable } from "kysely";

// Booleans are 0/1 integers so that one query text serves SQLite and PostgreSQL alike.

/** Organizations (Zulip's realms), chosen by the Host's subdomain; the root one has subdomain "". */
export interface OrganizationsTable {
  id: Generated<number>;
  subdomain: string;
  name: string;
  deactivated: number;
  email_auth_enabled: number;
  ldap_auth_enabled: number;
  /** The icon's URL as the operator set it; null for the server's default icon. */
  icon_url: Generated<string | null>;
  /** Rendered HTML, shown by clients next to the login form. */
  description: Generated<string>;
  created_at: string;
}

/** Users of an organization, with their argon2 hash and API key. */
export interface UsersTable {
  id: Generated<number>;
  organization_id: number;
  /** The delivery email as entered when the user was created. */
  email: string;
  /** The email trimmed and lower-cased: what logins are compared against. */
  email_key: string;
  full_name: string;
  /** PHC string; null for a user who has no password here (e.g. created by an LDAP login). */
  password_hash: string | null;
  api_key: string;
  /** When an operator last set the password (ISO time); null if never since creation. */
  password_changed_at: string | null;
  is_active: number;
  created_at: string;
}

/**
 * The audit trail: one row per fetch_api_key or dev_fetch_api_key attempt that reached password checking, and
 * one row per address, outcome and minute for the refusals before it (400s, 429s), with their count. Never a
 * password, key or credential.
 */
export interface LoginAttemptsTable {
  id: Generated<number>;
  /** ISO time (UTC), so that text order is time order. */
  time: string;
  /** The subdomain the Host named ("" for the root organization), whether or not it exists. */
  organization: string;
  /** "fetch_api_key" or "dev_fetch_api_key". */
  endpoint: string;
  /** The username as normalised for lookup (trimmed, lower-cased); "" when none was sent. */
  username: string;
  user_id: number | null;
  ip: string;
  /** The client name from the User-Agent, as Zulip parses it ("ZulipMobile"); "" without one. */
  client: string;
  /** "success" or the answer's error code. */
  outcome: string;
  /** The first attempt's request id (of a collapsed row: the first of its window's). */
  request_id: string;
  /** How many attempts the row stands for: 1, or more for refusals collapsed per address and minute. */
  count: Generated<number>;
  /** A collapsed row's last attempt (ISO time); null for a single attempt. */
  last_time: Generated<string | null>;
}

/** Login attempts, one row per attempt and bucket (the sliding logs of the brute-force defence). */
export interface AttemptLogTable {
  /** user-address, address or user: rule (a), (b) or (c). */
  rule: string;
  org: string;
  username: string;
  address: string;
  /** When the attempt was made, ms since the epoch (a string from PostgreSQL's bigint). */
  at: number | string;
  /** The rule it was recorded under, so that a reader (the CLI) knows its window. */
  attempts: number;
  window_ms: number | string;
  /** Names the attempt, so that a success or an outage can take it back out. */
  id: string;
}

/** The addresses each user last logged in from successfully: exempt from rule (c), at most 10 per user. */
export interface KnownAddressesTable {
  org: string;
  /** The username as counted (trimmed, case folded). */
  username: string;
  /** The client address's group. */
  address: string;
  /** The last successful login from it, ms since the epoch (a string from PostgreSQL's bigint). */
  at: number | string;
}

/** The database as Kysely sees it. */
export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  login_attempts: LoginAttemptsTable;
  attempt_log: AttemptLogTable;
  known_addresses: KnownAddressesTable;
}

export type Organization = Selectable<OrganizationsTable>;
export type User = Selectable<UsersTable>;
export type LoginAttempt = Selectable<LoginAttemptsTable>;
export type NewLoginAttempt = Insertable<LoginAttemptsTable>;
