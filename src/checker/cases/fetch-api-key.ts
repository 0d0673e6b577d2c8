import { isDeepStrictEqual } from "node:util";
import { loginSpec, type CaseContext } from "../context.ts";
import { throwawayPassword } from "../throwaway.ts";
import { field, type Exchange } from "../exchange.ts";
import type { FieldValue, RequestSpec } from "../request.ts";
import { FETCH, type CheckCase } from "./case.ts";
import { expectAllowedMethod, settingsBody } from "./server-settings.ts";

const SUCCESS = ["components", "schemas", "ApiKeySuccess", "properties"] as const;
const example = (status: number, name: string) => [...FETCH, "responses", String(status), "content", "application/json", "examples", name];

const fetchSpec = (fields: [string, FieldValue][], extra: Partial<RequestSpec> = {}): RequestSpec => ({
  operationId: "fetch-api-key",
  method: "POST",
  path: "/fetch_api_key",
  body: { kind: "form", fields },
  ...extra,
});

/** A wrong password for the given account, once per run, then a good login so the account's attempt counter starts over. */
export function wrongPassword(ctx: CaseContext): Promise<Exchange> {
  return ctx.memo("wrong-password", async () => {
    const wrong = await ctx.send(loginSpec(ctx.username, ctx.wrongPassword, "wrong password"));
    await ctx.send(loginSpec(ctx.username, ctx.password, "good login, so the account's failed-attempt counter starts over"));
    return wrong;
  });
}

/** The answer's key compared with the login's: `key-changed` when they differ. */
function expectSameKey(ctx: CaseContext, exchange: Exchange, key: string, what: string): void {
  const other = field(exchange, "api_key");
  if (other === key) return;
  ctx.fail(exchange, "key-changed", `${what} returned another key than the first login`, {
    spec: [...SUCCESS, "api_key", "description"],
    pointer: "/api_key",
    expected: "the key of the first login",
    actual: typeof other === "string" ? "another key (keys are not shown)" : JSON.stringify(other) ?? "(absent)",
  });
}

/** The key of the run's login, or "not checked" when the login failed. */
async function loginKey(ctx: CaseContext): Promise<string> {
  return (await ctx.successfulLogin()).json.api_key;
}

export const fetchApiKeyCases: CheckCase[] = [
  {
    id: "fetch-api-key.success",
    title: "the given credentials log in: 200 with the user's key",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [200] },
    async run(ctx) {
      ctx.expectStatus(await ctx.login(), 200, "the given credentials");
    },
  },
  {
    id: "fetch-api-key.same-key",
    title: "a second login returns the same key",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [200] },
    async run(ctx) {
      const key = await loginKey(ctx);
      const second = await ctx.send(loginSpec(ctx.username, ctx.password, "second login"));
      if (ctx.expectStatus(second, 200)) expectSameKey(ctx, second, key, "a second login");
    },
  },
  {
    id: "fetch-api-key.identity",
    title: "email and user_id have their types, and the email is the account's",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [200] },
    async run(ctx) {
      const login = await ctx.successfulLogin();
      const { email, user_id: userId } = login.json;
      if (typeof email !== "string") {
        ctx.fail(login, "unexpected-value", "email should be a string", { spec: [...SUCCESS, "email"], pointer: "/email", expected: "a string", actual: JSON.stringify(email) ?? "(absent)" });
      } else if (!ctx.username.includes("@")) {
        ctx.note("the email was not compared with the username: the username is not an email address (LDAP login)");
      } else if (email.toLowerCase() !== ctx.username.trim().toLowerCase()) {
        ctx.fail(login, "unexpected-value", "email should be the account's address (compared without case)", {
          spec: [...SUCCESS, "email", "description"],
          pointer: "/email",
          expected: ctx.username.trim(),
          actual: email,
        });
      }
      if (typeof userId !== "number" || !Number.isInteger(userId) || userId < 1) {
        ctx.fail(login, "unexpected-value", "user_id should be a positive integer", { spec: [...SUCCESS, "user_id"], pointer: "/user_id", expected: "an integer ≥ 1", actual: JSON.stringify(userId) ?? "(absent)" });
      }
    },
  },
  {
    id: "fetch-api-key.ignored-parameters",
    title: "unused parameters (body and query string, never `client`) are listed sorted in ignored_parameters_unsupported",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [200] },
    async run(ctx) {
      const key = await loginKey(ctx);
      const exchange = await ctx.send(
        fetchSpec(
          [["username", ctx.username], ["password", ctx.password], ["zulip_auth_check_b", "1"], ["client", "zulip-auth-check"]],
          { query: [["zulip_auth_check_a", "1"]], label: "with unused parameters" },
        ),
      );
      if (!ctx.expectStatus(exchange, 200)) return;
      ctx.expectField(exchange, "/ignored_parameters_unsupported", ["zulip_auth_check_a", "zulip_auth_check_b"], [...SUCCESS, "ignored_parameters_unsupported", "description"]);
      expectSameKey(ctx, exchange, key, "a login with unused parameters");
    },
  },
  {
    id: "fetch-api-key.multipart",
    title: "a multipart/form-data body is accepted (zulip-js sends one)",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [200] },
    async run(ctx) {
      const key = await loginKey(ctx);
      const exchange = await ctx.send({ ...fetchSpec([["username", ctx.username], ["password", ctx.password]]), body: { kind: "multipart", fields: [["username", ctx.username], ["password", ctx.password]] }, label: "multipart" });
      if (ctx.expectStatus(exchange, 200, "multipart/form-data is declared")) expectSameKey(ctx, exchange, key, "a multipart login");
    },
  },
  {
    id: "fetch-api-key.query-string",
    title: "parameters in the query string are accepted (the username there; the password stays in the body)",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [200] },
    async run(ctx) {
      const key = await loginKey(ctx);
      // Only the username goes in the URL: proxies and access logs keep URLs, and the password is real.
      const exchange = await ctx.send({ ...fetchSpec([["password", ctx.password]]), query: [["username", ctx.username]], label: "query string" });
      if (ctx.expectStatus(exchange, 200, "parameters are read from the query string too")) expectSameKey(ctx, exchange, key, "a query-string login");
    },
  },
  {
    id: "fetch-api-key.wrong-password",
    title: "a wrong password → 401 AUTHENTICATION_FAILED",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [401] },
    async run(ctx) {
      const exchange = await wrongPassword(ctx);
      if (ctx.expectStatus(exchange, 401)) ctx.expectField(exchange, "/code", "AUTHENTICATION_FAILED", example(401, "authentication-failed"));
    },
  },
  {
    id: "fetch-api-key.unknown-user",
    title: "an unknown user gets the same status, code and message as a wrong password",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [401] },
    async run(ctx) {
      const wrong = await wrongPassword(ctx);
      const unknown = await ctx.send(loginSpec(ctx.throwawayEmail(), ctx.wrongPassword, "unknown user (a throwaway address)"));
      const shape = (e: Exchange) => {
        const body = (typeof e.json === "object" && e.json !== null ? e.json : {}) as Record<string, unknown>;
        return { status: e.answer.status, code: body.code, msg: body.msg, fields: Object.keys(body).sort() };
      };
      const [a, b] = [shape(wrong), shape(unknown)];
      if (isDeepStrictEqual(a, b)) return;
      const differs = (Object.keys(a) as (keyof typeof a)[]).filter((k) => !isDeepStrictEqual(a[k], b[k]));
      ctx.fail(unknown, "account-enumeration", `an unknown user is answered differently from a wrong password (${differs.join(", ")} differ${differs.length === 1 ? "s" : ""}): anyone can find out which accounts exist`, {
        spec: [...FETCH, "responses", "401", "description"],
        pointer: differs.includes("status") ? "" : differs.includes("code") ? "/code" : differs.includes("msg") ? "/msg" : "",
        expected: `as for a wrong password: ${JSON.stringify(a)}`,
        actual: JSON.stringify(b),
      });
    },
  },
  {
    id: "fetch-api-key.missing-username",
    title: "no username → 400 REQUEST_VARIABLE_MISSING with var_name username",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [400] },
    async run(ctx) {
      const exchange = await ctx.send(fetchSpec([["password", throwawayPassword()]], { label: "password only" }));
      if (!ctx.expectStatus(exchange, 400)) return;
      ctx.expectField(exchange, "/code", "REQUEST_VARIABLE_MISSING", example(400, "missing-username"));
      ctx.expectField(exchange, "/var_name", "username", example(400, "missing-username"));
    },
  },
  {
    id: "fetch-api-key.missing-password",
    title: "no password → 400 REQUEST_VARIABLE_MISSING with var_name password",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [400] },
    async run(ctx) {
      const exchange = await ctx.send(fetchSpec([["username", ctx.username]], { label: "username only" }));
      if (!ctx.expectStatus(exchange, 400)) return;
      ctx.expectField(exchange, "/code", "REQUEST_VARIABLE_MISSING", example(400, "missing-password"));
      ctx.expectField(exchange, "/var_name", "password", example(400, "missing-password"));
    },
  },
  {
    id: "fetch-api-key.json-body",
    title: "a JSON body is not read → 400 missing username",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [400] },
    async run(ctx) {
      const exchange = await ctx.send({ ...fetchSpec([]), body: { kind: "json", fields: [["username", ctx.username], ["password", ctx.password]] }, label: "JSON body" });
      if (!ctx.expectStatus(exchange, 400, "a JSON body is not read at all")) return;
      ctx.expectField(exchange, "/code", "REQUEST_VARIABLE_MISSING", example(400, "missing-username"));
      ctx.expectField(exchange, "/var_name", "username", example(400, "missing-username"));
    },
  },
  {
    id: "fetch-api-key.invalid-email",
    title: "a username that is not an email address → 400 BAD_REQUEST (unless usernames need not be emails)",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [400] },
    async run(ctx) {
      const settings = await settingsBody(ctx);
      const required = settings?.require_email_format_usernames;
      if (required === false) ctx.notChecked("server_settings says usernames need not be email addresses (require_email_format_usernames is false)");
      // Zulip skips the email check whenever LDAP login is on, even for a directory whose usernames are emails.
      if ((settings?.authentication_methods as { ldap?: unknown } | undefined)?.ldap === true) ctx.notChecked("LDAP login is on (authentication_methods.ldap), and Zulip then does not check that usernames are email addresses");
      if (required === undefined) ctx.note("server_settings does not say whether usernames must be email addresses; Zulip's default (they must) was assumed");
      const exchange = await ctx.send(fetchSpec([["username", "zulip-auth-check-not-an-email"], ["password", throwawayPassword()]], { label: "username without @" }));
      if (ctx.expectStatus(exchange, 400, "the username is not an email address")) ctx.expectField(exchange, "/code", "BAD_REQUEST", example(400, "invalid-email"));
    },
  },
  {
    id: "fetch-api-key.get-not-allowed",
    title: "GET fetch_api_key → 405 with Allow: POST",
    operations: ["fetch-api-key"],
    provokes: { "fetch-api-key": [405] },
    async run(ctx) {
      const { body: _body, ...get } = fetchSpec([]);
      const exchange = await ctx.send({ ...get, method: "GET", label: "GET" });
      if (ctx.expectStatus(exchange, 405)) expectAllowedMethod(ctx, exchange, "POST", [...FETCH, "responses", "405"]);
    },
  },
];
