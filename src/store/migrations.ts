import { type ColumnDefinitionBuilder, type Kysely, type Migration, type MigrationProvider, sql } from "kysely";
import { ORGANIZATIONS_CHANNEL } from "./change-watch.ts";

// Written once with Kysely's schema builder so that SQLite and PostgreSQL get the same tables. Never edit a
// migration that has shipped: add the next one.
function migrations(dialect: SqlDialect): Record<string, Migration> {
  const serialPk = dialect === "postgres" ? "serial" : "integer";
  const primaryKey = (c: ColumnDefinitionBuilder) => (dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    "0001-organizations-and-users": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("organizations")
          .addColumn("id", serialPk, primaryKey)
          .addColumn("subdomain", "text", (c) => c.notNull().unique())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("deactivated", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("email_auth_enabled", "integer", (c) => c.notNull().defaultTo(1))
          .addColumn("ldap_auth_enabled", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("created_at", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("users")
          .addColumn("id", serialPk, primaryKey)
          .addColumn("organization_id", "integer", (c) => c.notNull().references("organizations.id"))
          .addColumn("email", "text", (c) => c.notNull())
          .addColumn("email_key", "text", (c) => c.notNull())
          .addColumn("full_name", "text", (c) => c.notNull().defaultTo(""))
          .addColumn("password_hash", "text")
          .addColumn("api_key", "text", (c) => c.notNull().unique())
          .addColumn("is_active", "integer", (c) => c.notNull().defaultTo(1))
          .addColumn("created_at", "text", (c) => c.notNull())
          .addUniqueConstraint("users_org_email_key", ["organization_id", "email_key"])
          .execute();
        // "Does this email exist in any organization?" (Zulip's invalid-subdomain answer) must not scan.
        await db.schema.createIndex("users_email_key").on("users").column("email_key").execute();
      },
    },
    "0002-password-changed-at": {
      // A password change clears the username's rate-limit count (as in Zulip), even when another process
      // (the CLI) made it: the server compares this time with the start of the count.
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable("users").addColumn("password_changed_at", "text").execute();
      },
    },
    "0003-audit-login-attempts": {
      // The login audit trail. No foreign keys: an attempt names what was sent (an unknown subdomain, a user
      // deleted since), and rows outlive what they name until the retention prunes them.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("login_attempts")
          .addColumn("id", serialPk, primaryKey)
          .addColumn("time", "text", (c) => c.notNull())
          .addColumn("organization", "text", (c) => c.notNull())
          .addColumn("endpoint", "text", (c) => c.notNull())
          .addColumn("username", "text", (c) => c.notNull())
          .addColumn("user_id", "integer")
          .addColumn("ip", "text", (c) => c.notNull())
          .addColumn("client", "text", (c) => c.notNull())
          .addColumn("outcome", "text", (c) => c.notNull())
          .addColumn("request_id", "text", (c) => c.notNull())
          .execute();
        // Newest first, the retention's prune, and "who tried to log in as alice".
        await db.schema.createIndex("login_attempts_time").on("login_attempts").column("time").execute();
        await db.schema.createIndex("login_attempts_username").on("login_attempts").columns(["username", "time"]).execute();
      },
    },
    "0004-organizations-notify": {
      // Servers keep organizations in memory: on PostgreSQL every write to the table, from any client (the CLI,
      // another instance, psql), notifies the instances' listeners at commit. SQLite needs nothing: a server
      // asks the file's data_version instead.
      async up(db: Kysely<unknown>) {
        if (dialect !== "postgres") return;
        await sql`CREATE FUNCTION zulip_auth_organizations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify(${sql.lit(ORGANIZATIONS_CHANNEL)}, ''); RETURN NULL; END $$`.execute(db);
        await sql`CREATE TRIGGER organizations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organizations
        FOR EACH STATEMENT EXECUTE FUNCTION zulip_auth_organizations_changed()`.execute(db);
      },
    },
    "0005-organization-icon-and-description": {
      // server_settings' realm_icon (null: the server's default icon) and realm_description (rendered HTML).
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable("organizations").addColumn("icon_url", "text").execute();
        await db.schema
          .alterTable("organizations")
          .addColumn("description", "text", (c) => c.notNull().defaultTo(""))
          .execute();
      },
    },
    "0006-attempt-log": {
      // The brute-force defence's sliding logs live with the data, so that a restart is not a reset and the
      // CLI can show and clear them (Redis holds them instead when the server is given one).
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("attempt_log")
          .addColumn("rule", "text", (c) => c.notNull())
          .addColumn("org", "text", (c) => c.notNull())
          .addColumn("username", "text", (c) => c.notNull())
          .addColumn("address", "text", (c) => c.notNull())
          .addColumn("at", "bigint", (c) => c.notNull())
          .addColumn("attempts", "integer", (c) => c.notNull())
          .addColumn("window_ms", "bigint", (c) => c.notNull())
          .addColumn("id", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("attempt_log_bucket").on("attempt_log").columns(["rule", "org", "username", "address", "at"]).execute();
        await db.schema.createIndex("attempt_log_address").on("attempt_log").columns(["address"]).execute();
      },
    },
    "0007-known-addresses-and-audit-counts": {
      // The addresses a user logged in from recently, exempt from rule (c) (Redis holds them instead when the
      // server is given one); and the audit trail's collapsed refusals, one row per address, outcome and
      // minute with a count. Rows written before stand for one attempt each.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("known_addresses")
          .addColumn("org", "text", (c) => c.notNull())
          .addColumn("username", "text", (c) => c.notNull())
          .addColumn("address", "text", (c) => c.notNull())
          .addColumn("at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("known_addresses_pk", ["org", "username", "address"])
          .execute();
        await db.schema.createIndex("known_addresses_at").on("known_addresses").column("at").execute();
        await db.schema
          .alterTable("login_attempts")
          .addColumn("count", "integer", (c) => c.notNull().defaultTo(1))
          .execute();
        await db.schema.alterTable("login_attempts").addColumn("last_time", "text").execute();
      },
    },
  };
}

/** The SQL dialects the store speaks. */
export type SqlDialect = "sqlite" | "postgres";

/** The project's migrations, in order, for Kysely's Migrator. */
export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
