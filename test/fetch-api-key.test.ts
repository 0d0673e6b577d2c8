import { beforeAll, describe, expect, it } from "vitest";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { conformant, createTestServer, form, TEST_HASH, type TestServer, USERS } from "./helpers/harness.ts";

const PATH = "/api/v1/fetch_api_key";
type Body = Record<string, unknown>;

describe("POST /api/v1/fetch_api_key, every row of Zulip's order of evaluation", () => {
  let s: TestServer;
  const login = async (fields: Record<string, string>, host?: string) =>
    conformant<Body>("fetch-api-key", await s.request(PATH, { ...form(fields), ...(host ? { host } : {}) }));

  beforeAll(async () => {
    s = await createTestServer();
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])("1: %s answers 405 with Allow: POST and no code", async (method) => {
    const r = await conformant<Body>("fetch-api-key", await s.request(PATH, { method }));
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
    expect(r.body).toEqual({ result: "error", msg: "Method Not Allowed", allowed_methods: ["POST"] });
  });

  it("2: no username → 400 REQUEST_VARIABLE_MISSING naming username (checked before password)", async () => {
    for (const fields of [{}, { password: "x" }] as Record<string, string>[]) {
      const r = await login(fields);
      expect(r.status).toBe(400);
      expect(r.text).toBe(`{"result":"error","msg":"Missing 'username' argument","var_name":"username","code":"REQUEST_VARIABLE_MISSING"}\n`);
    }
  });

  it("3: no password → 400 naming password", async () => {
    const r = await login({ username: USERS.iago.email });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ result: "error", msg: "Missing 'password' argument", var_name: "password", code: "REQUEST_VARIABLE_MISSING" });
  });

  it("4: a Host naming no organization → 404 NONEXISTENT_SUBDOMAIN, before email validation", async () => {
    const r = await login({ username: "hamlet", password: "x" }, "nope.zulip.test");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ result: "error", msg: "Invalid subdomain", code: "NONEXISTENT_SUBDOMAIN" });
  });

  it("5: a username that is not an email → 400 BAD_REQUEST", async () => {
    for (const username of ["hamlet", "", " iago@zulip.com", "iago@", "@zulip.com", "a b@zulip.com"]) {
      const r = await login({ username, password: USERS.iago.password });
      expect(r.status, username).toBe(400);
      expect(r.body).toEqual({ result: "error", msg: "Enter a valid email address.", code: "BAD_REQUEST" });
    }
  });

  it("7: an organization with password login off → 401 PASSWORD_AUTH_DISABLED, even with the right password", async () => {
    const t = await createTestServer();
    await t.admin.setOrganization("lear", { email_auth_enabled: 0 });
    const r = await conformant<Body>(
      "fetch-api-key",
      await t.request(PATH, { ...form({ username: USERS.cordelia.email, password: USERS.cordelia.password }), host: "lear.zulip.test" }),
    );
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ result: "error", msg: "Password authentication is disabled in this organization", code: "PASSWORD_AUTH_DISABLED" });
  });

  it("8: an empty password → 401 AUTHENTICATION_FAILED", async () => {
    const r = await login({ username: USERS.iago.email, password: "" });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ result: "error", msg: "Your username or password is incorrect", code: "AUTHENTICATION_FAILED" });
  });

  it("9 and 14: an unknown user gets exactly the answer of a wrong password, with no WWW-Authenticate", async () => {
    const unknown = await s.request(PATH, form({ username: "nobody@zulip.com", password: "whatever-1" }));
    const wrong = await s.request(PATH, form({ username: USERS.iago.email, password: "whatever-1" }));
    const a = await conformant<Body>("fetch-api-key", unknown);
    const b = await conformant<Body>("fetch-api-key", wrong);
    expect(a.status).toBe(401);
    expect(a.text).toBe(`{"result":"error","msg":"Your username or password is incorrect","code":"AUTHENTICATION_FAILED"}\n`);
    expect(b.text).toBe(a.text);
    expect(b.status).toBe(a.status);
    expect(a.headers.get("www-authenticate")).toBeNull();
    expect(b.headers.get("www-authenticate")).toBeNull();
  });

  it("10: a user of another organization → 404 NONEXISTENT_SUBDOMAIN", async () => {
    const r = await login({ username: USERS.cordelia.email, password: "wrong-password" });
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: "NONEXISTENT_SUBDOMAIN", msg: "Invalid subdomain" });
  });

  it("11: a deactivated organization → 401 REALM_DEACTIVATED, before the password is checked", async () => {
    for (const password of [USERS.othello.password, "wrong-password"]) {
      const r = await login({ username: USERS.othello.email, password }, "gone.zulip.test");
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ result: "error", msg: "This organization has been deactivated", code: "REALM_DEACTIVATED" });
    }
  });

  it("12: a deactivated user → 401 USER_DEACTIVATED, before the password is checked; reactivation restores login", async () => {
    const t = await createTestServer();
    await t.admin.setUserActive("", USERS.hamlet.email, false);
    for (const password of [USERS.hamlet.password, "wrong-password"]) {
      const r = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: USERS.hamlet.email, password })));
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ result: "error", msg: "Account is deactivated", code: "USER_DEACTIVATED" });
    }
    await t.admin.setUserActive("", USERS.hamlet.email, true);
    const r = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: USERS.hamlet.email, password: USERS.hamlet.password })));
    expect(r.status).toBe(200);
  });

  it("15: success → 200 with the stored email, the user's id and the same 32-character key every time", async () => {
    const user = await s.admin.user("", USERS.iago.email);
    const first = await login({ username: USERS.iago.email, password: USERS.iago.password });
    expect(first.status).toBe(200);
    expect(first.headers.get("cache-control")).toBe("no-store");
    expect(first.body).toEqual({ result: "success", msg: "", api_key: user.api_key, email: "iago@zulip.com", user_id: user.id });
    expect(first.body.api_key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(Object.keys(first.body)).toEqual(["result", "msg", "api_key", "email", "user_id"]);
    // Case-insensitive match; the answer carries the stored email, not what was typed.
    const second = await login({ username: "IAGO@Zulip.COM", password: USERS.iago.password });
    expect(second.body).toEqual(first.body);
  });

  it("a regenerated key replaces the old one", async () => {
    const t = await createTestServer();
    const fields = form({ username: USERS.iago.email, password: USERS.iago.password });
    const before = await conformant<Body>("fetch-api-key", await t.request(PATH, fields));
    await t.admin.regenerateKey("", USERS.iago.email);
    const after = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: USERS.iago.email, password: USERS.iago.password })));
    expect(after.body.api_key).not.toBe(before.body.api_key);
    expect(after.body.api_key).toBe((await t.admin.user("", USERS.iago.email)).api_key);
  });
});

describe("13: hashes made with older parameters", () => {
  const OLD = { memoryCost: 2048, timeCost: 1, parallelism: 1 };
  const seedOld = async (t: TestServer, email: string, password: string) => {
    const user = await t.admin.createUser("", email, null);
    await t.store.updateUser(user.id, { password_hash: await new PasswordHasher(OLD).hash(password) });
  };

  it("a weak password that must be rehashed → 401 PASSWORD_RESET_REQUIRED; a wrong one → AUTHENTICATION_FAILED", async () => {
    const t = await createTestServer();
    await seedOld(t, "weak@zulip.com", "abcd1234");
    const weak = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: "weak@zulip.com", password: "abcd1234" })));
    expect(weak.status).toBe(401);
    expect(weak.body).toEqual({ result: "error", msg: "Your password has been disabled and needs to be reset", code: "PASSWORD_RESET_REQUIRED" });
    const wrong = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: "weak@zulip.com", password: "abcd12345" })));
    expect(wrong.body).toMatchObject({ code: "AUTHENTICATION_FAILED" });
  });

  it("a strong password is accepted and its hash upgraded to today's parameters", async () => {
    const t = await createTestServer();
    await seedOld(t, "strong@zulip.com", "correct horse battery staple");
    const r = await conformant<Body>("fetch-api-key", await t.request(PATH, form({ username: "strong@zulip.com", password: "correct horse battery staple" })));
    expect(r.status).toBe(200);
    const stored = (await t.admin.user("", "strong@zulip.com")).password_hash!;
    expect(stored).toContain(`m=${TEST_HASH.memoryCost},t=${TEST_HASH.timeCost},p=${TEST_HASH.parallelism}`);
    const again = await conformant<Body>(
      "fetch-api-key",
      await t.request(PATH, form({ username: "strong@zulip.com", password: "correct horse battery staple" })),
    );
    expect(again.body.api_key).toBe(r.body.api_key);
  });
});
