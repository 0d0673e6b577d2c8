import type { ColumnDefinitionBuilder, Kysely, Migration, MigrationProvider } from "kysely";

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
      // "Does this email exist in any organisation?" (Zulip's invalid-subdomain answer) must not scan.
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
  };
}

/** The SQL dialects the store speaks. */
export type SqlDialect = "sqlite" | "postgres";

/** The project's migrations, in order, for Kysely's Migrator. */
export function migrationProvider(dialect: SqlDialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
