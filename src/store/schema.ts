import type { Generated, Insertable, Selectable } from "kysely";

// Booleans are 0/1 integers so that one query text serves SQLite and PostgreSQL alike.

/** Organisations (Zulip's realms), chosen by the Host's subdomain; the root one has subdomain "". */
export interface OrganizationsTable {
  id: Generated<number>;
  subdomain: string;
  name: string;
  deactivated: number;
  email_auth_enabled: number;
  ldap_auth_enabled: number;
  created_at: string;
}

/** Users of an organisation, with their argon2 hash and API key. */
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

/** Login attempts, one row per attempt and bucket (the sliding logs of the brute-force defence). */
export interface LoginAttemptsTable {
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

/** The database as Kysely sees it. */
export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  login_attempts: LoginAttemptsTable;
}

export type Organization = Selectable<OrganizationsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
