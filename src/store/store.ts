import { type Kysely, Migrator, sql } from "kysely";
import { guard } from "../shared/unavailable.ts";
import type { ChangeWatch } from "./change-watch.ts";
import { migrationProvider, type SqlDialect } from "./migrations.ts";
import { OrganizationCache } from "./organization-cache.ts";
import { isDatabaseOutage } from "./outage.ts";
import { PreparedQueries } from "./prepared.ts";
import type { Database, LoginAttempt, NewLoginAttempt, Organization, User } from "./schema.ts";

/**
 * What went wrong, for a caller to act on: a unique value taken (`duplicate-api-key` when it is the API key,
 * which callers retry with a new key), or a row that is not there.
 */
export type StoreErrorKind = "duplicate" | "duplicate-api-key" | "not-found";

/** A store failure the caller can act on; the message is for people, the kind for code. */
export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

/** The message of a `duplicate-api-key` failure. */
export const API_KEY_TAKEN = "that API key is taken";

/** Fields of an organization that can change after it is created. */
export type OrganizationPatch = Partial<Pick<Organization, "name" | "deactivated" | "email_auth_enabled" | "ldap_auth_enabled" | "icon_url" | "description">>;

/** Which audit rows to list: every field given must match; `since` is an ISO time. */
export interface LoginAttemptFilter {
  username?: string;
  organization?: string;
  ip?: string;
  outcome?: string;
  since?: string;
  limit: number;
}

/** SQLite's durability of a commit: FULL waits for an fsync; NORMAL (in WAL mode) survives a crash of the process. */
export type Synchronous = "FULL" | "NORMAL";

/** How logins are compared: surrounding whitespace trimmed, case folded (Zulip's delivery_email__iexact). */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Users and organizations, over any Kysely dialect the project supports. Given a change watch, organizations
 * (read on every request, written by operators) are kept in memory and dropped as soon as any process changes
 * them; nothing else is cached, so every instance sharing one database sees a change at once. A failure to
 * reach the database is an UnavailableError.
 */
export class Store {
  private readonly organizations: OrganizationCache | undefined;
  /** The queries of every login, compiled once (for this store and the attempt log on it). */
  readonly prepared: PreparedQueries<Database>;
  /** SQLite's `synchronous` on the connection now: FULL (sqlite.ts's) until the attempt log relaxes it. */
  private synchronous: Synchronous = "FULL";

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: SqlDialect,
    watch?: ChangeWatch,
  ) {
    this.organizations = watch ? new OrganizationCache(watch) : undefined;
    this.prepared = new PreparedQueries(db);
  }

  /** Creates or upgrades the schema. */
  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider(this.dialect) });
    // Kysely takes a lock first, so instances starting together against one PostgreSQL migrate once.
    await this.run(async () => {
      const { error } = await migrator.migrateToLatest();
      if (error) throw error;
    });
  }

  /** Answers whether the database is reachable (for health checks). */
  async ping(): Promise<void> {
    await this.run(() => this.db.selectFrom("organizations").select("id").limit(1).execute());
  }

  async close(): Promise<void> {
    await this.organizations?.close();
    await this.db.destroy();
  }

  /** The organization with this subdomain; with a change watch, a shared frozen object. */
  findOrganization(subdomain: string): Promise<Organization | undefined> {
    const load = () => this.run(() => this.db.selectFrom("organizations").selectAll().where("subdomain", "=", subdomain).executeTakeFirst());
    return this.organizations ? this.organizations.get(subdomain, load) : load();
  }

  listOrganizations(): Promise<Organization[]> {
    return this.run(() => this.db.selectFrom("organizations").selectAll().orderBy("subdomain").execute());
  }

  async createOrganization(subdomain: string, name: string): Promise<Organization> {
    return this.changingOrganizations(() =>
      this.unique(`organization "${subdomain}" exists already`, () =>
        this.durably((db) =>
          db
            .insertInto("organizations")
            .values({ subdomain, name, deactivated: 0, email_auth_enabled: 1, ldap_auth_enabled: 0, created_at: new Date().toISOString() })
            .returningAll()
            .executeTakeFirstOrThrow(),
        ),
      ),
    );
  }

  /** Changes an organization; throws not-found when there is none with that subdomain. */
  async updateOrganization(subdomain: string, patch: OrganizationPatch): Promise<void> {
    const result = await this.changingOrganizations(() =>
      this.run(() => this.durably((db) => db.updateTable("organizations").set(patch).where("subdomain", "=", subdomain).executeTakeFirst())),
    );
    if (result.numUpdatedRows === 0n) throw new StoreError("not-found", `no organization "${subdomain}"`);
  }

  /** The user of this organization whose email matches, compared as Zulip does. */
  findUser(organizationId: number, email: string): Promise<User | undefined> {
    return this.run(() =>
      this.prepared.first(
        this.db,
        "findUser",
        (db, slot) => db.selectFrom("users").selectAll().where("organization_id", "=", slot<number>(0)).where("email_key", "=", slot<string>(1)),
        [organizationId, emailKey(email)],
      ),
    );
  }

  /** Whether any organization has a user with this email. */
  async emailExistsAnywhere(email: string): Promise<boolean> {
    const row = await this.run(() => this.db.selectFrom("users").select("id").where("email_key", "=", emailKey(email)).limit(1).executeTakeFirst());
    return row !== undefined;
  }

  listUsers(organizationId?: number): Promise<User[]> {
    let query = this.db.selectFrom("users").selectAll();
    if (organizationId !== undefined) query = query.where("organization_id", "=", organizationId);
    return this.run(() => query.orderBy("organization_id").orderBy("email_key").execute());
  }

  async createUser(user: { organizationId: number; email: string; fullName: string; passwordHash: string | null; apiKey: string }): Promise<User> {
    return this.unique(`user ${user.email} exists already`, () =>
      this.durably((db) =>
        db
          .insertInto("users")
          .values({
            organization_id: user.organizationId,
            email: user.email.trim(),
            email_key: emailKey(user.email),
            full_name: user.fullName,
            password_hash: user.passwordHash,
            api_key: user.apiKey,
            is_active: 1,
            created_at: new Date().toISOString(),
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      ),
    );
  }

  async updateUser(id: number, patch: Partial<Pick<User, "password_hash" | "password_changed_at" | "api_key" | "is_active" | "full_name">>): Promise<void> {
    const run = () => this.durably((db) => db.updateTable("users").set(patch).where("id", "=", id).executeTakeFirst());
    const result = await this.unique(`user ${id} cannot be changed so`, run);
    if (result.numUpdatedRows === 0n) throw new StoreError("not-found", `no user with id ${id}`);
  }

  /** Appends audit rows, in one statement. */
  async recordLoginAttempts(rows: NewLoginAttempt[]): Promise<void> {
    if (rows.length === 0) return;
    await this.run(() => this.durably((db) => db.insertInto("login_attempts").values(rows).execute()));
  }

  /** Audit rows matching the filter, newest first. */
  listLoginAttempts(filter: LoginAttemptFilter): Promise<LoginAttempt[]> {
    let query = this.db.selectFrom("login_attempts").selectAll();
    if (filter.username !== undefined) query = query.where("username", "=", emailKey(filter.username));
    if (filter.organization !== undefined) query = query.where("organization", "=", filter.organization);
    if (filter.ip !== undefined) query = query.where("ip", "=", filter.ip);
    if (filter.outcome !== undefined) query = query.where("outcome", "=", filter.outcome);
    if (filter.since !== undefined) query = query.where("time", ">=", filter.since);
    return this.run(() => query.orderBy("time", "desc").orderBy("id", "desc").limit(filter.limit).execute());
  }

  /** Deletes audit rows older than the ISO time `before`; returns how many. */
  async pruneLoginAttempts(before: string): Promise<number> {
    const result = await this.run(() => this.durably((db) => db.deleteFrom("login_attempts").where("time", "<", before).executeTakeFirst()));
    return Number(result.numDeletedRows);
  }

  /**
   * Runs `work` holding the connection, with SQLite's `synchronous` at `level` (one statement when it changes,
   * none otherwise); on PostgreSQL, as it is. The attempt log's transactions run at NORMAL, every other write at
   * FULL: switching at each log transaction and back cost a login two statements.
   */
  withSynchronous<T>(level: Synchronous, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.dialect !== "sqlite") return work(this.db);
    return this.db.connection().execute(async (connection) => {
      if (this.synchronous !== level) {
        await sql.raw(`PRAGMA synchronous = ${level}`).execute(connection);
        this.synchronous = level;
      }
      return work(connection);
    });
  }

  /** A write that must survive a power cut once it returns (users, keys, organizations, the audit trail). */
  private durably<T>(write: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.withSynchronous("FULL", write);
  }

  /** Runs a write to the organizations, then drops what this process has cached of them (reads in flight included). */
  private async changingOrganizations<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.organizations?.invalidate();
    }
  }

  /** Runs a query, turning a failure to reach the database into an UnavailableError. */
  private run<T>(query: () => Promise<T>): Promise<T> {
    return guard("database", isDatabaseOutage, query);
  }

  /** Runs an insert or update, turning a unique-constraint failure into a StoreError. */
  private async unique<T>(message: string, write: () => Promise<T>): Promise<T> {
    try {
      return await this.run(write);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "23505") {
        // SQLite names the column in its message, PostgreSQL in the constraint name.
        const where = `${(error as Error).message} ${(error as { constraint?: string }).constraint ?? ""}`;
        throw where.includes("api_key") ? new StoreError("duplicate-api-key", API_KEY_TAKEN) : new StoreError("duplicate", message);
      }
      throw error;
    }
  }
}
