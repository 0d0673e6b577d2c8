import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeEach, describe, expect, it, type TestContext } from "vitest";
import { Admin } from "../src/admin/admin.ts";
import { userForDirectoryLogin } from "../src/auth/ldap-user.ts";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../src/auth/password-policy.ts";
import { SqlAttemptLog } from "../src/auth/sql-attempt-log.ts";
import { ResourceError as StoreOpenError } from "../src/shared/errors.ts";
import { UnavailableError } from "../src/shared/unavailable.ts";
import { openStore } from "../src/store/open.ts";
import { createPostgresStore } from "../src/store/postgres.ts";
import type { NewLoginAttempt } from "../src/store/schema.ts";
import { API_KEY_TAKEN, type Store, StoreError } from "../src/store/store.ts";
import { TEST_HASH } from "./helpers/harness.ts";
import { createDatabase, missingServices, need, SERVICE_URLS } from "./helpers/service-env.ts";
import { freePort } from "./helpers/services.ts";

// The same suite on both dialects: the query code is one, so its results must be too.

const KEY = (c: string) => c.repeat(32);
const NO_POSTGRES = missingServices("postgres");
const dropLater: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of dropLater) await drop();
});

const DIALECTS = [
  { name: "SQLite", missing: undefined, open: () => openStore({ sqlitePath: ":memory:" }) },
  {
    name: "PostgreSQL",
    missing: NO_POSTGRES,
    async open() {
      const db = await createDatabase();
      dropLater.push(db.drop);
      return openStore({ databaseUrl: db.url, sqlitePath: "unused", timeoutMs: 5000 });
    },
  },
] as const;

describe.each(DIALECTS)("the store on $name", ({ name, missing, open }) => {
  let store: Store;
  const stores: Store[] = [];
  /** Opens a fresh store, or skips (fails under CI) when the dialect's server is missing. */
  const fresh = async (ctx: TestContext) => {
    need(ctx, missing);
    store = await open();
    stores.push(store);
    return store;
  };
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  beforeEach(async (ctx) => {
    await fresh(ctx);
  });

  it(`speaks ${name}, and migrating again changes nothing`, async () => {
    expect(store.dialect).toBe(name === "SQLite" ? "sqlite" : "postgres");
    await store.createOrganization("", "Zulip Dev");
    await store.migrate();
    await store.ping();
    expect((await store.listOrganizations()).map((o) => o.name)).toEqual(["Zulip Dev"]);
  });

  it("creates, finds, lists and changes organizations, with numbers for ids and 0/1 for flags", async () => {
    const root = await store.createOrganization("", "Zulip Dev");
    const lear = await store.createOrganization("lear", "Lear & Co.");
    expect(root).toMatchObject({ subdomain: "", name: "Zulip Dev", deactivated: 0, email_auth_enabled: 1, ldap_auth_enabled: 0 });
    expect(typeof root.id).toBe("number");
    expect(lear.id).toBeGreaterThan(root.id);
    expect(await store.findOrganization("lear")).toEqual(lear);
    expect(await store.findOrganization("nope")).toBeUndefined();
    expect((await store.listOrganizations()).map((o) => o.subdomain)).toEqual(["", "lear"]);
    await store.updateOrganization("lear", { deactivated: 1, ldap_auth_enabled: 1, email_auth_enabled: 0 });
    expect(await store.findOrganization("lear")).toMatchObject({ deactivated: 1, ldap_auth_enabled: 1, email_auth_enabled: 0 });
  });

  it("refuses a duplicate subdomain and a change to an organization that is not there", async () => {
    await store.createOrganization("lear", "Lear");
    await expect(store.createOrganization("lear", "Again")).rejects.toEqual(new StoreError("duplicate", 'organization "lear" exists already'));
    await expect(store.updateOrganization("nope", { deactivated: 1 })).rejects.toMatchObject({ kind: "not-found" });
  });

  it("stores users with a trimmed email, found case-insensitively in their organization only", async () => {
    const root = await store.createOrganization("", "Zulip Dev");
    const lear = await store.createOrganization("lear", "Lear");
    const iago = await store.createUser({
      organizationId: root.id,
      email: "  Iago@Zulip.com ",
      fullName: "Iago",
      passwordHash: "$argon2id$x",
      apiKey: KEY("a"),
    });
    expect(iago).toMatchObject({ email: "Iago@Zulip.com", email_key: "iago@zulip.com", full_name: "Iago", is_active: 1, password_changed_at: null });
    expect(typeof iago.id).toBe("number");
    expect(await store.findUser(root.id, " IAGO@zulip.COM")).toEqual(iago);
    expect(await store.findUser(lear.id, "iago@zulip.com")).toBeUndefined();
    expect(await store.emailExistsAnywhere("iago@ZULIP.com")).toBe(true);
    expect(await store.emailExistsAnywhere("nobody@zulip.com")).toBe(false);
  });

  it("lists users by organization, then email", async () => {
    const root = await store.createOrganization("", "Zulip Dev");
    const lear = await store.createOrganization("lear", "Lear");
    await store.createUser({ organizationId: lear.id, email: "cordelia@zulip.com", fullName: "", passwordHash: null, apiKey: KEY("c") });
    await store.createUser({ organizationId: root.id, email: "zed@zulip.com", fullName: "", passwordHash: null, apiKey: KEY("z") });
    await store.createUser({ organizationId: root.id, email: "aaron@zulip.com", fullName: "", passwordHash: null, apiKey: KEY("b") });
    expect((await store.listUsers()).map((u) => u.email)).toEqual(["aaron@zulip.com", "zed@zulip.com", "cordelia@zulip.com"]);
    expect((await store.listUsers(lear.id)).map((u) => u.email)).toEqual(["cordelia@zulip.com"]);
  });

  it("refuses the same email twice in one organization (any case) but not in two, and names a taken API key", async () => {
    const root = await store.createOrganization("", "Zulip Dev");
    const lear = await store.createOrganization("lear", "Lear");
    const user = { organizationId: root.id, email: "iago@zulip.com", fullName: "", passwordHash: null, apiKey: KEY("a") };
    await store.createUser(user);
    await expect(store.createUser({ ...user, email: "IAGO@zulip.com", apiKey: KEY("b") })).rejects.toEqual(
      new StoreError("duplicate", "user IAGO@zulip.com exists already"),
    );
    await store.createUser({ ...user, organizationId: lear.id, apiKey: KEY("c") });
    await expect(store.createUser({ ...user, email: "other@zulip.com" })).rejects.toEqual(new StoreError("duplicate-api-key", API_KEY_TAKEN));
    const other = await store.createUser({ ...user, email: "other@zulip.com", apiKey: KEY("d") });
    await expect(store.updateUser(other.id, { api_key: KEY("a") })).rejects.toEqual(new StoreError("duplicate-api-key", API_KEY_TAKEN));
  });

  it("changes a user's password, key, state and name; a missing user is not-found", async () => {
    const root = await store.createOrganization("", "Zulip Dev");
    const user = await store.createUser({ organizationId: root.id, email: "iago@zulip.com", fullName: "", passwordHash: null, apiKey: KEY("a") });
    const changedAt = new Date().toISOString();
    await store.updateUser(user.id, { password_hash: "$argon2id$y", password_changed_at: changedAt, api_key: KEY("e"), is_active: 0, full_name: "Iago" });
    expect(await store.findUser(root.id, "iago@zulip.com")).toMatchObject({
      password_hash: "$argon2id$y",
      password_changed_at: changedAt,
      api_key: KEY("e"),
      is_active: 0,
      full_name: "Iago",
    });
    await expect(store.updateUser(user.id + 1000, { is_active: 1 })).rejects.toMatchObject({ kind: "not-found" });
  });

  it("serves the operator's actions (Admin) alike", async () => {
    const admin = new Admin(store, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY);
    await admin.addOrganization("", "Zulip Dev");
    const created = await admin.addUser("", "hamlet@zulip.com", "hamlet-Strong-77", "Hamlet");
    await admin.regenerateKey("", "hamlet@zulip.com");
    const after = await admin.user("", "HAMLET@zulip.com");
    expect(after.api_key).not.toBe(created.api_key);
    expect(after.api_key).toMatch(/^[A-Za-z0-9]{32}$/);
    await admin.setPassword("", "hamlet@zulip.com", "an0ther-Strong-one");
    expect((await admin.user("", "hamlet@zulip.com")).password_changed_at).not.toBeNull();
    expect((await admin.listUsers("")).map((u) => [u.subdomain, u.email])).toEqual([["", "hamlet@zulip.com"]]);
    await expect(admin.addUser("", "hamlet@zulip.com", "hamlet-Strong-77")).rejects.toThrow("exists already");
  });

  it("creates a directory user once, even when several logins race (one user, one key)", async () => {
    const org = await store.createOrganization("", "Zulip Dev");
    const users = await Promise.all(Array.from({ length: 8 }, () => userForDirectoryLogin(store, org, "Ada.Lovelace@example.org", "Ada Lovelace")));
    expect(new Set(users.map((u) => u.id)).size).toBe(1);
    expect(new Set(users.map((u) => u.api_key)).size).toBe(1);
    expect(users[0]).toMatchObject({ email: "Ada.Lovelace@example.org", full_name: "Ada Lovelace", password_hash: null });
    // The directory's name wins on the next login.
    expect((await userForDirectoryLogin(store, org, "ada.lovelace@example.org", "Ada King")).full_name).toBe("Ada King");
    expect(await store.listUsers()).toHaveLength(1);
  });

  it("keeps the login audit trail: one insert per batch, filters, newest first, and a prune by age", async () => {
    const row = (time: string, username: string, outcome: string, extra: Partial<NewLoginAttempt> = {}): NewLoginAttempt => ({
      time,
      organization: "",
      endpoint: "fetch_api_key",
      username,
      user_id: null,
      ip: "192.0.2.1",
      client: "ZulipMobile",
      outcome,
      request_id: `req-${time}`,
      ...extra,
    });
    await store.recordLoginAttempts([]);
    await store.recordLoginAttempts([
      row("2026-01-01T00:00:00.000Z", "iago@zulip.com", "AUTHENTICATION_FAILED", { user_id: 7 }),
      row("2026-03-01T00:00:00.000Z", "iago@zulip.com", "success", { user_id: 7, organization: "lear" }),
      row("2026-02-01T00:00:00.000Z", "nobody@zulip.com", "AUTHENTICATION_FAILED", { ip: "2001:db8::1" }),
    ]);
    const all = await store.listLoginAttempts({ limit: 10 });
    expect(all.map((r) => r.time)).toEqual(["2026-03-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"]);
    expect(all[0]).toMatchObject({ organization: "lear", username: "iago@zulip.com", user_id: 7, outcome: "success", client: "ZulipMobile" });
    expect(typeof all[0]!.id).toBe("number");
    expect(all[1]!.user_id).toBeNull();
    expect((await store.listLoginAttempts({ username: " IAGO@zulip.com", limit: 10 })).map((r) => r.outcome)).toEqual(["success", "AUTHENTICATION_FAILED"]);
    expect((await store.listLoginAttempts({ ip: "2001:db8::1", limit: 10 })).map((r) => r.username)).toEqual(["nobody@zulip.com"]);
    expect((await store.listLoginAttempts({ organization: "lear", limit: 10 })).length).toBe(1);
    expect((await store.listLoginAttempts({ outcome: "AUTHENTICATION_FAILED", since: "2026-01-15T00:00:00.000Z", limit: 10 })).map((r) => r.username)).toEqual([
      "nobody@zulip.com",
    ]);
    expect((await store.listLoginAttempts({ limit: 1 })).length).toBe(1);
    expect(await store.pruneLoginAttempts("2026-02-15T00:00:00.000Z")).toBe(2);
    expect((await store.listLoginAttempts({ limit: 10 })).map((r) => r.outcome)).toEqual(["success"]);
  });

  it("upgrades a database made before known addresses and collapsed audit rows: old rows stand for one attempt", async () => {
    // The schema as 0006 left it, with an audit row written then.
    await sql`DROP TABLE known_addresses`.execute(store.db);
    await sql`ALTER TABLE login_attempts DROP COLUMN count`.execute(store.db);
    await sql`ALTER TABLE login_attempts DROP COLUMN last_time`.execute(store.db);
    await sql`DELETE FROM kysely_migration WHERE name = '0007-known-addresses-and-audit-counts'`.execute(store.db);
    await sql`INSERT INTO login_attempts (time, organization, endpoint, username, user_id, ip, client, outcome, request_id)
      VALUES ('2026-01-01T00:00:00.000Z', '', 'fetch_api_key', 'iago@zulip.com', NULL, '192.0.2.1', '', 'success', 'old')`.execute(store.db);
    await store.migrate();
    expect(await store.listLoginAttempts({ limit: 10 })).toEqual([expect.objectContaining({ request_id: "old", count: 1, last_time: null })]);
    const log = new SqlAttemptLog(store);
    const user = { org: "", username: "iago@zulip.com", address: "192.0.2.1" };
    await log.rememberAddress(user, Date.now());
    expect(await log.isKnownAddress(user, 0)).toBe(true);
  });

  it("keeps a user's 10 most recent known addresses, and forgets those older than `since`", async () => {
    const log = new SqlAttemptLog(store);
    const at = (i: number) => 1_000_000 + i * 1000;
    for (let i = 0; i < 12; i++) await log.rememberAddress({ org: "", username: "iago@zulip.com", address: `192.0.2.${i}` }, at(i));
    const known = async (i: number, since = 0) => log.isKnownAddress({ org: "", username: "iago@zulip.com", address: `192.0.2.${i}` }, since);
    expect(await Promise.all(Array.from({ length: 12 }, (_, i) => known(i)))).toEqual([false, false, ...Array(10).fill(true)]);
    // Another user's list is their own; a success again moves an address to the front.
    expect(await log.isKnownAddress({ org: "lear", username: "iago@zulip.com", address: "192.0.2.5" }, 0)).toBe(false);
    await log.rememberAddress({ org: "", username: "iago@zulip.com", address: "192.0.2.2" }, at(20));
    await log.rememberAddress({ org: "", username: "iago@zulip.com", address: "192.0.2.99" }, at(21));
    expect([await known(2), await known(3)]).toEqual([true, false]);
    expect([await known(4, at(4)), await known(5, at(4))]).toEqual([false, true]);
  });
});

describe("a PostgreSQL that does not answer", () => {
  it("is an UnavailableError naming the database, for every call, within the timeout", async () => {
    const store = createPostgresStore(`postgres://zulip_auth:not-the-password@127.0.0.1:${await freePort()}/zulip_auth`, { timeoutMs: 1000 });
    const started = Date.now();
    for (const call of [() => store.ping(), () => store.findOrganization(""), () => store.listUsers(), () => store.updateUser(1, { is_active: 0 })]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).dependency).toBe("database");
      expect((error as Error).message).not.toContain("not-the-password");
    }
    expect(Date.now() - started).toBeLessThan(4000);
    await store.close();
  });

  it("cannot be opened: one line with the host and no password", async () => {
    const port = await freePort();
    const error = await openStore({
      databaseUrl: `postgres://zulip_auth:not-the-password@127.0.0.1:${port}/zulip_auth`,
      sqlitePath: "",
      timeoutMs: 1000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as Error).message).toBe(`cannot use the database at postgres://127.0.0.1:${port}/zulip_auth: connect ECONNREFUSED 127.0.0.1:${port}`);
    await expect(openStore({ databaseUrl: "mysql://root:pw@db/x", sqlitePath: "" })).rejects.toThrow("unsupported database URL mysql://db/x");
  });

  it("ends a connection lent to a transaction: the transaction fails, the process lives on", async (ctx) => {
    need(ctx, NO_POSTGRES);
    const db = await createDatabase();
    dropLater.push(db.drop);
    const store = createPostgresStore(db.url, { timeoutMs: 5000 });
    await store.migrate();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const failed = await store.db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          // No query of this client is running when its backend goes: pg emits "error" on the lent client.
          await admin.query("select pg_terminate_backend($1)", [rows[0]!.pid]);
          await sql`select 1`.execute(trx);
        })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(Error);
      // The pool still serves: the broken client was dropped, a new one is opened.
      expect(await store.listUsers()).toEqual([]);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("with a wrong password is refused at open, the password never shown", async (ctx) => {
    need(ctx, NO_POSTGRES);
    const url = new URL(SERVICE_URLS.postgres!);
    url.password = "not-the-password";
    const error = await openStore({ databaseUrl: url.toString(), sqlitePath: "", timeoutMs: 3000 }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^cannot use the database at postgres:\/\/127\.0\.0\.1:\d+\/postgres: password authentication failed for user "zulip_auth"$/,
    );
  });
});
