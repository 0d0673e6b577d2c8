import { beforeAll, describe, expect, it } from "vitest";
import { conformant, createTestServer, form, type TestServer, USERS } from "./helpers/harness.ts";

const PATH = "/api/v1/dev_fetch_api_key";
type Body = Record<string, unknown>;

describe("POST /api/v1/dev_fetch_api_key", () => {
  let dev: TestServer;
  let prod: TestServer;
  const call = async (s: TestServer, fields: Record<string, string>, host?: string) =>
    conformant<Body>("dev-fetch-api-key", await s.request(PATH, { ...form(fields), ...(host ? { host } : {}) }));

  beforeAll(async () => {
    dev = await createTestServer({ config: { devMode: true } });
    prod = await createTestServer();
  });

  it("success: the user's own key, email and id, without a password", async () => {
    const user = await dev.admin.user("", USERS.iago.email);
    const r = await call(dev, { username: USERS.iago.email });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ result: "success", msg: "", api_key: user.api_key, email: user.email, user_id: user.id });
  });

  it("a production server refuses with 400 DevAuthBackend not enabled.", async () => {
    const r = await call(prod, { username: USERS.iago.email });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ result: "error", msg: "DevAuthBackend not enabled.", code: "BAD_REQUEST" });
  });

  it("a missing username → 400 REQUEST_VARIABLE_MISSING, on both kinds of server", async () => {
    for (const s of [dev, prod]) {
      const r = await call(s, {});
      expect(r.body).toEqual({ result: "error", msg: "Missing 'username' argument", var_name: "username", code: "REQUEST_VARIABLE_MISSING" });
    }
  });

  it("an invalid email → 400, before the subdomain is looked at", async () => {
    const r = await call(dev, { username: "hamlet" }, "nope.zulip.test");
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ result: "error", msg: "Enter a valid email address.", code: "BAD_REQUEST" });
  });

  it("an unknown subdomain → 404", async () => {
    const r = await call(dev, { username: USERS.iago.email }, "nope.zulip.test");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ result: "error", msg: "Invalid subdomain", code: "NONEXISTENT_SUBDOMAIN" });
  });

  it("a deactivated organization → 401 REALM_DEACTIVATED", async () => {
    const r = await call(dev, { username: USERS.othello.email }, "gone.zulip.test");
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: "REALM_DEACTIVATED", msg: "This organization has been deactivated" });
  });

  it("a deactivated user → 401 USER_DEACTIVATED; an unknown one → 401 AUTHENTICATION_FAILED", async () => {
    const t = await createTestServer({ config: { devMode: true } });
    await t.admin.setUserActive("", USERS.hamlet.email, false);
    const deactivated = await call(t, { username: USERS.hamlet.email });
    expect(deactivated.status).toBe(401);
    expect(deactivated.body).toMatchObject({ code: "USER_DEACTIVATED", msg: "Account is deactivated" });
    const unknown = await call(t, { username: "nobody@zulip.com" });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({ result: "error", msg: "Your username or password is incorrect", code: "AUTHENTICATION_FAILED" });
  });

  it("GET → 405", async () => {
    const r = await conformant<Body>("dev-fetch-api-key", await dev.request(PATH));
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("POST");
  });
});
