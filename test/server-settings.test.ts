import { describe, expect, it } from "vitest";
import { type LdapConfig, usernamesAreEmails } from "../src/auth/ldap.ts";
import { conformant, createTestServer } from "./helpers/harness.ts";

const PATH = "/api/v1/server_settings";
type Body = Record<string, unknown> & { authentication_methods: Record<string, boolean> };

const FLUTTER_REQUIRED = [
  "authentication_methods",
  "external_authentication_methods",
  "zulip_feature_level",
  "zulip_version",
  "zulip_merge_base",
  "push_notifications_enabled",
  "is_incompatible",
  "email_auth_enabled",
  "require_email_format_usernames",
  "realm_uri",
  "realm_name",
  "realm_icon",
  "realm_description",
  "realm_web_public_access_enabled",
];

describe("GET /api/v1/server_settings", () => {
  it("answers an organization with every field zulip-flutter requires, realm_url from the Host", async () => {
    const s = await createTestServer();
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test:9991" }));
    expect(r.status).toBe(200);
    for (const field of FLUTTER_REQUIRED) expect(r.body[field], field).not.toBeUndefined();
    expect(r.body).toMatchObject({
      result: "success",
      msg: "",
      realm_name: "Lear & Co.",
      realm_url: "http://lear.zulip.test:9991",
      realm_uri: "http://lear.zulip.test:9991",
      email_auth_enabled: true,
      require_email_format_usernames: true,
      external_authentication_methods: [],
    });
    expect(r.body.authentication_methods).toMatchObject({ password: true, email: true, ldap: false, dev: false });
    expect(r.body.zulip_feature_level).toBeGreaterThanOrEqual(277);
    expect(String(r.body.zulip_version)).toMatch(/^\d+\.\d+/);
  });

  it("answers 200 with the full body when an Authorization header is sent (python-zulip-api does)", async () => {
    const s = await createTestServer();
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { headers: { authorization: `Basic ${btoa("iago@zulip.com:key")}` } }));
    expect(r.status).toBe(200);
    expect(r.body.realm_name).toBe("Zulip Dev");
  });

  it("reflects the organization's configuration and dev mode", async () => {
    const s = await createTestServer({ config: { devMode: true } });
    await s.admin.setOrganization("lear", { email_auth_enabled: 0 });
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }));
    expect(r.body.email_auth_enabled).toBe(false);
    expect(r.body.authentication_methods).toMatchObject({ password: false, email: false, dev: true });
  });

  it("an unknown subdomain → 400 Invalid subdomain (not 404)", async () => {
    const s = await createTestServer();
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "nope.zulip.test" }));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ result: "error", msg: "Invalid subdomain", code: "BAD_REQUEST" });
  });

  it("the root domain of a server with no root organization leaves out only the name, icon and description", async () => {
    const s = await createTestServer({ seed: false });
    await s.admin.addOrganization("lear", "Lear");
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "zulip.test:9991" }));
    expect(r.status).toBe(200);
    for (const field of ["realm_name", "realm_icon", "realm_description"]) expect(r.body, field).not.toHaveProperty(field);
    expect(r.body).toMatchObject({
      realm_url: "http://zulip.test:9991",
      realm_uri: "http://zulip.test:9991",
      email_auth_enabled: true,
      require_email_format_usernames: true,
      realm_web_public_access_enabled: false,
    });
    expect(r.body.authentication_methods.password).toBe(true);
  });

  it("uses the configured external URL behind a proxy", async () => {
    const s = await createTestServer({ config: { externalUrl: "https://chat.example.com" } });
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }));
    expect(r.body.realm_url).toBe("https://lear.chat.example.com");
  });

  it("flags a User-Agent whose client name is ZulipInvalid as incompatible, and no other", async () => {
    const s = await createTestServer();
    const incompatible = async (ua: string) =>
      (await conformant<Body>("get-server-settings", await s.request(PATH, { headers: { "user-agent": ua } }))).body.is_incompatible;
    expect(await incompatible("ZulipInvalid/1.0")).toBe(true);
    expect(await incompatible("ZulipInvalid")).toBe(true);
    expect(await incompatible("ZulipInvalidator/2.0")).toBe(false);
    expect(await incompatible("ZulipMobile/27.192 (Android 14)")).toBe(false);
  });

  it("serialised once per organization, the answer is still compact JSON with this request's URL, and follows a change at once", async () => {
    const s = await createTestServer();
    const text = async (host: string, ua = "ZulipMobile/27") => {
      const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host, headers: { "user-agent": ua } }));
      expect(r.text).toBe(JSON.stringify(r.body) + "\n");
      return r.body;
    };
    for (const host of ["lear.zulip.test", "LEAR.zulip.test:8080", "lear.zulip.test:80", "lear.zulip.test"]) {
      const url = `http://${host.toLowerCase().replace(/:80$/, "")}`;
      expect(await text(host)).toMatchObject({ realm_url: url, realm_uri: url, is_incompatible: false, realm_name: "Lear & Co." });
      expect(await text(host, "ZulipInvalid/1")).toMatchObject({ realm_url: url, is_incompatible: true });
    }
    await s.admin.setOrganization("lear", { name: "Lear & Daughters", email_auth_enabled: 0 });
    expect(await text("lear.zulip.test")).toMatchObject({ realm_name: "Lear & Daughters", email_auth_enabled: false });
    await s.admin.addOrganization("quote", 'A "quoted" \\ name, \\u0000realm_url');
    expect(await text("quote.zulip.test")).toMatchObject({ realm_name: 'A "quoted" \\ name, \\u0000realm_url', realm_url: "http://quote.zulip.test" });
  });

  it("POST → 405 with Allow: GET, HEAD (as Django's require_safe), and our JSON body", async () => {
    const s = await createTestServer();
    for (const method of ["POST", "PUT", "DELETE"]) {
      const r = await conformant<Body>("get-server-settings", await s.request(PATH, { method }));
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("GET, HEAD");
      expect(r.headers.get("content-type")).toMatch(/^application\/json/);
      expect(r.body).toEqual({ result: "error", msg: "Method Not Allowed", allowed_methods: ["GET", "HEAD"] });
    }
  });

  it("answers HEAD like GET, without a body", async () => {
    const s = await createTestServer();
    const r = await s.request(PATH, { method: "HEAD" });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await r.text()).toBe("");
  });

  it("realm_icon is a URL this server serves: its default icon, or the one an operator set", async () => {
    const s = await createTestServer();
    const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test:9991" }));
    expect(r.body.realm_icon).toBe("http://lear.zulip.test:9991/static/images/realm-icon.svg");
    const icon = await s.request(new URL(String(r.body.realm_icon)).pathname);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(await icon.text()).toMatch(/^<svg /);
    expect((await s.request(new URL(String(r.body.realm_icon)).pathname, { method: "HEAD" })).status).toBe(200);

    await s.admin.setOrganization("lear", { icon_url: "https://cdn.example.com/lear.png" });
    expect((await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }))).body.realm_icon).toBe(
      "https://cdn.example.com/lear.png",
    );
    // A path is under the organization's URL, as Zulip's uploaded icons are.
    await s.admin.setOrganization("lear", { icon_url: "/user_avatars/lear/icon.png" });
    expect((await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }))).body.realm_icon).toBe(
      "http://lear.zulip.test/user_avatars/lear/icon.png",
    );
  });

  it("realm_description is the operator's HTML", async () => {
    const s = await createTestServer();
    expect((await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }))).body.realm_description).toBe("");
    await s.admin.setOrganization("lear", { description: "<p>Lear &amp; Co. <strong>staff</strong> only.</p>" });
    expect((await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }))).body.realm_description).toBe(
      "<p>Lear &amp; Co. <strong>staff</strong> only.</p>",
    );
  });

  it("require_email_format_usernames is false only with LDAP login whose usernames are not emails", async () => {
    const directory = (usernamesAreEmails: boolean) => ({ usernamesAreEmails, authenticate: async () => ({ ok: false, reason: "no-such-user" }) as const });
    for (const [ldap, expected] of [
      [directory(false), false],
      [directory(true), true],
    ] as const) {
      const s = await createTestServer({ ldap });
      await s.admin.setOrganization("lear", { ldap_auth_enabled: 1 });
      const r = await conformant<Body>("get-server-settings", await s.request(PATH, { host: "lear.zulip.test" }));
      expect(r.body.require_email_format_usernames, `usernamesAreEmails ${ldap.usernamesAreEmails}`).toBe(expected);
    }
  });
});

describe("whether LDAP usernames are emails, read from the LDAP settings", () => {
  const config = (where: { userSearchFilter?: string; userDnTemplate?: string }, emailAttribute = "mail"): LdapConfig => ({
    url: "ldap://127.0.0.1:389",
    userSearchFilter: where.userSearchFilter ?? "(uid=%(user)s)",
    ...(where.userDnTemplate === undefined ? { userSearchBase: "ou=people,dc=example,dc=com" } : { userDnTemplate: where.userDnTemplate }),
    emailAttribute,
    fullNameAttribute: "cn",
    timeoutMs: 1000,
  });
  it("yes when the filter or DN template matches the username against the email attribute", () => {
    expect(usernamesAreEmails(config({ userSearchFilter: "(mail=%(user)s)" }))).toBe(true);
    expect(usernamesAreEmails(config({ userSearchFilter: "(&(objectClass=person)(Mail = %(user)s))" }))).toBe(true);
    expect(usernamesAreEmails(config({ userSearchFilter: "(userPrincipalName=%(user)s)" }, "userPrincipalName"))).toBe(true);
    expect(usernamesAreEmails(config({ userDnTemplate: "mail=%(user)s,ou=people,dc=example,dc=com" }))).toBe(true);
  });
  it("no for uid, sAMAccountName and the like", () => {
    expect(usernamesAreEmails(config({}))).toBe(false);
    expect(usernamesAreEmails(config({ userSearchFilter: "(sAMAccountName=%(user)s)" }))).toBe(false);
    expect(usernamesAreEmails(config({ userSearchFilter: "(othermail=%(user)s)" }))).toBe(false);
    expect(usernamesAreEmails(config({ userDnTemplate: "uid=%(user)s,ou=people,dc=example,dc=com" }))).toBe(false);
  });
});
