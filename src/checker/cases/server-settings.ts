import { isDeepStrictEqual } from "node:util";
import { OPERATIONS } from "../../contract/operations.ts";
import { expectAllowedMethod, isRelease, serverSettings, setting } from "../case-helpers.ts";
import { field } from "../exchange.ts";
import { normalizeBaseUrl, requestFor } from "../request.ts";
import { type CheckCase, casesOf, SETTINGS } from "./case.ts";

const settingsCase = casesOf(OPERATIONS.getServerSettings);

export const serverSettingsCases: CheckCase[] = [
  settingsCase([200], {
    id: "server-settings.conforms",
    title: "server_settings answers 200 with the settings a client needs before its login form",
    async run(ctx) {
      const exchange = ctx.record(await serverSettings(ctx));
      if (!ctx.expectStatus(exchange, 200)) return;
      // zerver/views/auth.py get_server_settings sends realm_uri as the deprecated alias of realm_url (feature level 257).
      const realmUrl = field(exchange, "realm_url");
      if (realmUrl !== undefined && field(exchange, "realm_uri") !== undefined) {
        ctx.expectField(exchange, "/realm_uri", realmUrl, ["components", "schemas", "ServerSettings", "properties", "realm_uri", "description"]);
      }
    },
  }),
  settingsCase([200], {
    id: "server-settings.consistent",
    title: "the settings agree with each other and with the version: the password form, development login, realm_url",
    async run(ctx) {
      const exchange = await serverSettings(ctx);
      if (exchange.answer.status !== 200) ctx.notChecked(`server_settings answered ${exchange.answer.status}`);
      const methods = setting(ctx, "authentication_methods");
      const email = setting(ctx, "email_auth_enabled");
      // zerver/views/auth.py get_auth_backends_data: "password" is password_auth_enabled(realm), which
      // zproject/backends.py defines as email_auth_enabled(realm) or ldap_auth_enabled(realm) — the very settings
      // behind email_auth_enabled and authentication_methods.ldap, so the three always agree on a real Zulip.
      if (methods && typeof email === "boolean" && methods.password !== (email || methods.ldap)) {
        ctx.fail(
          exchange,
          "settings-contradict",
          "authentication_methods.password disagrees with the password form (email_auth_enabled or authentication_methods.ldap)",
          {
            spec: [...SETTINGS, "responses", "200", "content", "application/json", "schema", "properties", "authentication_methods"],
            pointer: "/authentication_methods/password",
            expected: String(email || methods.ldap),
            actual: `${methods.password} (email_auth_enabled ${email}, authentication_methods.ldap ${methods.ldap})`,
          },
        );
      }
      // zproject/urls.py routes zproject/dev_urls.py (dev_fetch_api_key) only when settings.DEVELOPMENT: a release,
      // a production install, never serves development login.
      const version = setting(ctx, "zulip_version");
      if (methods?.dev === true && isRelease(version)) {
        ctx.fail(
          exchange,
          "settings-contradict",
          `a release (zulip_version ${String(version)}) advertises development login, which only development servers have`,
          {
            spec: [...SETTINGS, "responses", "200", "content", "application/json", "schema", "properties", "authentication_methods"],
            pointer: "/authentication_methods/dev",
            expected: "false",
            actual: "true",
          },
        );
      }
      // realm_url is settings.ROOT_DOMAIN_URI or the organization's URL as configured: behind a proxy it may
      // name another host than the one asked, which is legal but sends clients elsewhere.
      const realmUrl = setting(ctx, "realm_url") ?? setting(ctx, "realm_uri");
      if (typeof realmUrl === "string" && normalizeBaseUrl(realmUrl) !== ctx.baseUrl) {
        ctx.advise(exchange, "realm-url-elsewhere", "low", "realm_url names another URL than the one checked: clients go on there (legal behind a proxy)", {
          spec: ["components", "schemas", "ServerSettings", "properties", "realm_url"],
          pointer: "/realm_url",
          expected: ctx.baseUrl,
          actual: realmUrl,
        });
      }
    },
  }),
  settingsCase([200], {
    id: "server-settings.with-authorization",
    title: "server_settings answers the same when an Authorization header is sent (python-zulip-api sends one)",
    async run(ctx) {
      const basic = Buffer.from(`${ctx.username}:zulip-auth-check-not-a-key`).toString("base64");
      const exchange = await ctx.send(
        requestFor(OPERATIONS.getServerSettings, { headers: { Authorization: `Basic ${basic}` }, label: "with Authorization: Basic (a made-up key)" }),
      );
      if (!ctx.expectStatus(exchange, 200, "the endpoint needs no authentication and ignores credentials")) return;
      const plain = await serverSettings(ctx);
      if (plain.answer.status === 200 && !isDeepStrictEqual(plain.json, exchange.json)) {
        ctx.fail(exchange, "unexpected-value", "the settings differ from those answered without an Authorization header", {
          spec: [...SETTINGS, "description"],
          expected: plain.answer.bodyText.trim(),
          actual: exchange.answer.bodyText.trim(),
        });
      }
    },
  }),
  settingsCase([405], {
    id: "server-settings.post-not-allowed",
    title: "POST server_settings → 405 with Allow: GET, HEAD (Django's require_safe)",
    async run(ctx) {
      const exchange = await ctx.send(requestFor(OPERATIONS.getServerSettings, { method: "POST", body: { kind: "form", fields: [] }, label: "POST" }));
      if (!ctx.expectStatus(exchange, 405)) return;
      expectAllowedMethod(ctx, exchange, "GET", [...SETTINGS, "responses", "405"]);
    },
  }),
  settingsCase([200], {
    id: "server-settings.head",
    title: "HEAD server_settings → 200 without a body (Django's require_safe allows it)",
    async run(ctx) {
      const exchange = await ctx.transport(requestFor(OPERATIONS.getServerSettings, { method: "HEAD", label: "HEAD" }));
      // No body to judge: only the status is recorded against the contract.
      ctx.record(exchange, { statusOnly: true });
      ctx.expectStatus(exchange, 200, "HEAD is GET without the body");
    },
  }),
];
