import { Writable } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLdapBackend } from "../src/auth/ldap.ts";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { createLogger } from "../src/server/logger.ts";
import { PEOPLE, SERVICE_ACCOUNT } from "./helpers/directory.ts";
import { conformant, createTestServer, form, type TestServer, USERS } from "./helpers/harness.ts";
import { testLdapBackend, testLdapConfig } from "./helpers/ldap.ts";
import { missingServices, need, SERVICE_URLS } from "./helpers/service-env.ts";
import { freePort } from "./helpers/services.ts";

// Zulip's LDAPAuthBackend against a real OpenLDAP (slapd) seeded with test/helpers/directory.ts.

const NO_LDAP = missingServices("ldap");
const PATH = "/api/v1/fetch_api_key";
type Body = Record<string, unknown>;
const { ada, iago, hamlet, smith, oneil, nomail, badmail } = PEOPLE;

/** The directory backend's log lines (warnings for operators). */
function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
  return { logger: createLogger(sink, "info"), lines };
}

/** A server whose root organization has LDAP login on (and email login as given). */
async function ldapServer(options: { email: boolean; mode?: "search" | "template"; filter?: string; limiter?: boolean } = { email: false }) {
  const log = capturedLogger();
  const config = { ...testLdapConfig(SERVICE_URLS.ldap!, options.mode ?? "search"), ...(options.filter ? { userSearchFilter: options.filter } : {}) };
  const t = await createTestServer({ ldap: createLdapBackend(config, log.logger), ...(options.limiter ? { limits: {} } : {}) });
  await t.admin.setOrganization("", { email_auth_enabled: options.email ? 1 : 0, ldap_auth_enabled: 1 });
  await t.admin.setOrganization("gone", { ldap_auth_enabled: 1 });
  return { ...t, ldapLog: log.lines };
}

const login = async (t: TestServer, username: string, password: string, host?: string) =>
  conformant<Body>("fetch-api-key", await t.request(PATH, { ...form({ username, password }), ...(host ? { host } : {}) }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("an organization with LDAP login only (search as the service account)", () => {
  it("server_settings reports LDAP, and usernames need not be emails", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    const r = await conformant<Body>("get-server-settings", await t.request("/api/v1/server_settings"));
    expect(r.body.authentication_methods).toMatchObject({ password: true, email: false, ldap: true });
    expect(r.body).toMatchObject({ email_auth_enabled: false, require_email_format_usernames: false });
  });

  it("a first successful bind creates the user with a new key, no password, the directory's email and name; later logins answer the same", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    expect(await t.store.findUser(1, ada.mail!)).toBeUndefined();
    const first = await login(t, ada.uid, ada.password);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ result: "success", email: "Ada.Lovelace@example.org", api_key: expect.stringMatching(/^[A-Za-z0-9]{32}$/) });
    const stored = (await t.admin.user("", ada.mail!))!;
    expect(stored).toMatchObject({ id: first.body.user_id, api_key: first.body.api_key, full_name: "Ada Lovelace", password_hash: null, is_active: 1 });
    // The same person typed differently (LDAP compares uids case-insensitively): the same user and key.
    for (const username of [ada.uid, "ADA"]) {
      const again = await login(t, username, ada.password);
      expect(again.body).toMatchObject({ api_key: first.body.api_key, user_id: first.body.user_id, email: ada.mail });
    }
    expect((await t.admin.listUsers("")).filter((u) => u.email === ada.mail)).toHaveLength(1);
  });

  it("a wrong LDAP password gets the very answer of a wrong email password, and so does an unknown user", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    const emailOnly = await createTestServer();
    const reference = await login(emailOnly, USERS.iago.email, "wrong-password");
    for (const [username, password] of [
      [ada.uid, "wrong-password"],
      ["nobody-here", "wrong-password"],
      [ada.uid, ""],
    ]) {
      const r = await login(t, username!, password!);
      expect(r.status, username).toBe(401);
      expect(r.text).toBe(reference.text);
      expect([...r.headers.keys()].sort()).toEqual([...reference.headers.keys()].sort());
    }
  });

  it("spends one argon2 verification on every refusal, as the email backend does, so timing tells nothing", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    // Every argon2 verification, real or dummy, goes through verify().
    const verify = vi.spyOn(PasswordHasher.prototype, "verify");
    const verifications = () => verify.mock.calls.length;
    for (const [username, password] of [
      [ada.uid, "wrong-password"],
      ["nobody-here", "x-password"],
      [nomail.uid, nomail.password],
      ["*", "x-password"],
    ]) {
      const before = verifications();
      expect((await login(t, username!, password!)).status).toBe(401);
      expect(verifications() - before, username).toBe(1);
    }
    const emailOnly = await createTestServer();
    const before = verifications();
    await login(emailOnly, USERS.iago.email, "wrong-password");
    expect(verifications() - before).toBe(1);
  });

  it("escapes the username: `*` matches nothing, a uid with `*` or `,` matches itself", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    for (const username of ["*", "o*", "*)(uid=*", "ada)(|(uid=*"]) expect((await login(t, username, oneil.password)).status, username).toBe(401);
    expect((await login(t, "*", ada.password)).status).toBe(401);
    expect((await login(t, oneil.uid, oneil.password)).body).toMatchObject({ email: oneil.mail });
    expect((await login(t, smith.uid, smith.password)).body).toMatchObject({ email: smith.mail });
  });

  it("refuses an entry without a usable email (401), telling the operator which entry", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    for (const person of [nomail, badmail]) {
      expect((await login(t, person.uid, person.password)).body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
      expect(t.ldapLog.join("")).toContain(`"dn":"${person.dn}"`);
    }
    expect(t.ldapLog.join("")).toContain('"msg":"LDAP entry has no valid email: refusing the login"');
    expect(t.ldapLog.join("")).not.toContain(nomail.password);
  });

  it("a deactivated user is refused after a successful bind; a deactivated organization too, after the bind", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    await t.admin.setUserActive("", hamlet.mail!, false);
    expect((await login(t, hamlet.uid, hamlet.password)).body).toMatchObject({ code: "USER_DEACTIVATED" });
    expect((await login(t, hamlet.uid, "wrong-password")).body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
    expect((await login(t, ada.uid, ada.password, "gone.zulip.test")).body).toMatchObject({ code: "REALM_DEACTIVATED" });
    expect((await login(t, ada.uid, "wrong-password", "gone.zulip.test")).body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
    // Nobody was created in the deactivated organization.
    expect((await t.admin.listUsers("gone")).map((u) => u.email)).toEqual([USERS.othello.email]);
  });

  it("the local email password does not work while email login is off", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer();
    expect((await login(t, USERS.iago.email, USERS.iago.password)).body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
  });

  it("counts each attempt once: five wrong LDAP passwords, then the right one gets 429", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: false, limiter: true });
    for (let i = 0; i < 5; i++) {
      const r = await login(t, ada.uid, "wrong-password");
      expect(r.headers.get("x-ratelimit-remaining")).toBe(String(4 - i));
    }
    expect((await login(t, ada.uid, ada.password)).status).toBe(429);
  });

  it("counts the spellings the directory treats as one user (case, surrounding spaces) as one username", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: false, limiter: true });
    for (const username of [ada.uid, ada.uid.toUpperCase(), ` ${ada.uid}`, `${ada.uid}  `, `  ${ada.uid.toUpperCase()} `]) {
      expect((await login(t, username, "wrong-password")).status, JSON.stringify(username)).toBe(401);
    }
    expect((await login(t, ` ${ada.uid.toUpperCase()}`, ada.password)).status).toBe(429);
  });
});

describe("an organization with email and LDAP login (Zulip tries them in order)", () => {
  it("either password logs the same user in, with the same key", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: true, limiter: true });
    const byEmail = await login(t, USERS.iago.email, USERS.iago.password);
    const byLdap = await login(t, iago.uid, iago.password);
    expect(byEmail.status).toBe(200);
    expect(byLdap.body).toMatchObject({ email: USERS.iago.email, api_key: byEmail.body.api_key, user_id: byEmail.body.user_id });
    // The directory's name replaces the local one; the local password stays.
    expect((await t.admin.user("", USERS.iago.email)).full_name).toBe(iago.cn);
    expect((await login(t, USERS.iago.email, USERS.iago.password)).status).toBe(200);
  });

  it("wrong for both: one 401, counted once, one argon2 verification", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: true, limiter: true });
    const verify = vi.spyOn(PasswordHasher.prototype, "verify");
    for (const username of [iago.uid, USERS.iago.email, "nobody-here"]) {
      const before = verify.mock.calls.length;
      const r = await login(t, username, "wrong-password");
      expect(r.body, username).toMatchObject({ code: "AUTHENTICATION_FAILED" });
      expect(verify.mock.calls.length - before, username).toBe(1);
    }
    const r = await login(t, "another-one", "wrong-password");
    expect(r.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("keeps the email backend's answer when the directory says no: another organization's email is 404", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: true });
    expect((await login(t, USERS.cordelia.email, "wrong-password")).status).toBe(404);
  });

  it("a filter may accept the email as the LDAP username too", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: true, filter: "(|(uid=%(user)s)(mail=%(user)s))" });
    expect((await login(t, USERS.iago.email, iago.password)).body).toMatchObject({ email: USERS.iago.email });
    expect((await login(t, ada.mail!, ada.password)).body).toMatchObject({ email: ada.mail });
  });
});

describe("LDAP settings", () => {
  it("a DN template binds directly, with the username escaped into the DN", async (ctx) => {
    need(ctx, NO_LDAP);
    const t = await ldapServer({ email: false, mode: "template" });
    expect((await login(t, smith.uid, smith.password)).body).toMatchObject({ email: smith.mail });
    expect((await login(t, oneil.uid, oneil.password)).body).toMatchObject({ email: oneil.mail });
    for (const [u, p] of [
      [smith.uid, "wrong-password"],
      ["smith", smith.password],
      ["ghost", "x-password"],
      ["a,ou=people", "x-password"],
    ]) {
      expect((await login(t, u!, p!)).body, u).toMatchObject({ code: "AUTHENTICATION_FAILED" });
    }
  });

  it("LDAP stays off where the organization has it off (step 5 applies) or the server has no LDAP settings", async (ctx) => {
    need(ctx, NO_LDAP);
    const serverHasIt = await createTestServer({ ldap: testLdapBackend(SERVICE_URLS.ldap!) });
    const orgHasIt = await createTestServer();
    await orgHasIt.admin.setOrganization("", { ldap_auth_enabled: 1 });
    for (const t of [serverHasIt, orgHasIt]) {
      expect((await login(t, ada.uid, ada.password)).body).toEqual({ result: "error", msg: "Enter a valid email address.", code: "BAD_REQUEST" });
      const settings = await conformant<Body>("get-server-settings", await t.request("/api/v1/server_settings"));
      expect(settings.body).toMatchObject({ require_email_format_usernames: true, authentication_methods: expect.objectContaining({ ldap: false }) });
    }
  });

  it("a wrong service-account password is the operator's to fix: 503 LDAP_UNAVAILABLE, logged", async (ctx) => {
    need(ctx, NO_LDAP);
    const log = capturedLogger();
    const t = await createTestServer({
      ldap: createLdapBackend({ ...testLdapConfig(SERVICE_URLS.ldap!), bindPassword: "not-the-service-password" }, log.logger),
    });
    await t.admin.setOrganization("", { email_auth_enabled: 0, ldap_auth_enabled: 1 });
    const r = await login(t, ada.uid, ada.password);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ code: "LDAP_UNAVAILABLE" });
    expect(log.lines.join("")).toContain('"msg":"LDAP bind as the service account failed"');
    expect(log.lines.join("")).not.toContain("not-the-service-password");
    expect(log.lines.join("")).not.toContain(SERVICE_ACCOUNT.password);
  });

  it("a directory that does not answer gets 503 LDAP_UNAVAILABLE within the timeout", async () => {
    const t = await createTestServer({ ldap: createLdapBackend({ ...testLdapConfig(`ldap://127.0.0.1:${await freePort()}`), timeoutMs: 1000 }) });
    await t.admin.setOrganization("", { email_auth_enabled: 0, ldap_auth_enabled: 1 });
    const started = Date.now();
    const r = await login(t, ada.uid, ada.password);
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("5");
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
