import { isDeepStrictEqual } from "node:util";
import { valueAt } from "../../contract/json-pointer.ts";
import { OPERATIONS } from "../../contract/operations.ts";
import { loginSpec, type CaseContext } from "../context.ts";
import { throwawayPassword } from "../throwaway.ts";
import { field, type Exchange } from "../exchange.ts";
import { requestFor, type FieldValue, type RequestSpec } from "../request.ts";
import { FETCH, casesOf, type CheckCase } from "./case.ts";
import { expectAllowedMethod, setting } from "../case-helpers.ts";

const fetchCase = casesOf(OPERATIONS.fetchApiKey);

const SUCCESS = ["components", "schemas", "ApiKeySuccess", "properties"] as const;

const fetchSpec = (fields: [string, FieldValue][], extra: Partial<RequestSpec> = {}): RequestSpec => ({
  ...requestFor(OPERATIONS.fetchApiKey, { body: { kind: "form", fields } }),
  ...extra,
});

/** A case whose request lacks one variable: 400 REQUEST_VARIABLE_MISSING naming it, as the contract's example. */
function missingVariable(name: string, title: string, variable: "username" | "password", request: (ctx: CaseContext) => RequestSpec, why = ""): CheckCase {
  return fetchCase([400], {
    id: `fetch-api-key.${name}`,
    title,
    async run(ctx) {
      const exchange = await ctx.send(request(ctx));
      if (!ctx.expectStatus(exchange, 400, why)) return;
      const example = `missing-${variable}`;
      ctx.expectCode(exchange, OPERATIONS.fetchApiKey, 400, "REQUEST_VARIABLE_MISSING", example);
      ctx.expectField(exchange, "/var_name", variable, ctx.exampleSpec(OPERATIONS.fetchApiKey, 400, example));
    },
  });
}

/**
 * A wrong password for the given account, once per run: the run's one counted failure on the real username,
 * sent after the login with the right password (so that a limit it trips cannot refuse that login).
 */
async function wrongPassword(ctx: CaseContext): Promise<Exchange> {
  await ctx.successfulLogin();
  return ctx.memo("wrong-password", () => loginSpec(ctx.username, ctx.wrongPassword, "wrong password (the run's one failed attempt on this account)"));
}

/** Zulip's feature levels of what a login answer holds (the contract's x-zulip-feature-level). */
const USER_ID_SINCE = 171;
const IGNORED_PARAMETERS_SINCE = 167;

/** The username with its letters' case swapped; undefined when it is not an email or has no letter. */
function otherCase(username: string): string | undefined {
  if (!username.includes("@")) return undefined;
  const swapped = [...username].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
  return swapped === username ? undefined : swapped;
}

/**
 * The run's second (and last) successful login: the username in another case (Zulip compares emails without
 * case), in the query string, with unused parameters in the body and the query string. Made once, after the
 * wrong password, so that a success clears the account's failed attempt on servers that count per string.
 */
function secondLogin(ctx: CaseContext): Promise<Exchange> {
  return ctx.memo("second-login", () =>
    fetchSpec(
      [
        ["username", otherCase(ctx.username) ?? ctx.username],
        ["password", ctx.password],
        ["zulip_auth_check_b", "1"],
        ["client", "zulip-auth-check"],
      ],
      {
        query: [["zulip_auth_check_a", "1"]],
        label: "second login: the username in another case, with unused parameters",
      },
    ),
  );
}

/** The second login's answer, or "not checked" when it was not a 200 with a key. */
async function successfulSecondLogin(ctx: CaseContext): Promise<Exchange> {
  const second = await secondLogin(ctx);
  if (second.answer.status !== 200 || typeof field(second, "api_key") !== "string") {
    ctx.notChecked(`the second login did not succeed (it was answered ${second.answer.status}; see fetch-api-key.case-insensitive)`);
  }
  return second;
}

/** The answer's key compared with the login's: `key-changed` when they differ. */
function expectSameKey(ctx: CaseContext, exchange: Exchange, key: string, what: string): void {
  const other = field(exchange, "api_key");
  if (other === key) return;
  ctx.fail(exchange, "key-changed", `${what} returned another key than the first login`, {
    spec: [...SUCCESS, "api_key", "description"],
    pointer: "/api_key",
    expected: "the key of the first login",
    actual: typeof other === "string" ? "another key (keys are not shown)" : (JSON.stringify(other) ?? "(absent)"),
  });
}

/** The key of the run's login, or "not checked" when the login failed. */
async function loginKey(ctx: CaseContext): Promise<string> {
  return (await ctx.successfulLogin()).apiKey;
}

/** A throwaway login (no account has the address) whose parameters travel as `how` says: Zulip answers 401 once it read them. */
async function expectParametersRead(ctx: CaseContext, spec: RequestSpec, how: string): Promise<void> {
  const exchange = await ctx.send(spec);
  if (ctx.expectStatus(exchange, 401, `${how}: an unknown user, once the parameters are read`)) {
    ctx.expectCode(exchange, OPERATIONS.fetchApiKey, 401, "AUTHENTICATION_FAILED", "authentication-failed");
  }
}

export const fetchApiKeyCases: CheckCase[] = [
  fetchCase([200], {
    id: "fetch-api-key.success",
    title: "the given credentials log in: 200 with the user's key",
    usesPassword: true,
    async run(ctx) {
      ctx.expectStatus(await ctx.login(), 200, "the given credentials");
    },
  }),
  fetchCase([200], {
    id: "fetch-api-key.identity",
    title: "email and user_id have their types, and the email is the account's",
    usesPassword: true,
    async run(ctx) {
      const { login } = await ctx.successfulLogin();
      const email = field(login, "email");
      const userId = field(login, "user_id");
      if (typeof email !== "string") {
        ctx.fail(login, "unexpected-value", "email should be a string", {
          spec: [...SUCCESS, "email"],
          pointer: "/email",
          expected: "a string",
          actual: JSON.stringify(email) ?? "(absent)",
        });
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
      if (ctx.below(USER_ID_SINCE)) {
        if (userId !== undefined) ctx.note(`user_id was sent, though feature level ${USER_ID_SINCE} (Zulip 7.0) added it`);
        else return ctx.note(`no user_id: the server's feature level is below ${USER_ID_SINCE} (Zulip 7.0), which added it`);
      }
      if (typeof userId !== "number" || !Number.isInteger(userId) || userId < 1) {
        ctx.fail(login, "unexpected-value", "user_id should be a positive integer", {
          spec: [...SUCCESS, "user_id"],
          pointer: "/user_id",
          expected: "an integer ≥ 1",
          actual: JSON.stringify(userId) ?? "(absent)",
        });
      }
    },
  }),
  fetchCase([401], {
    id: "fetch-api-key.wrong-password",
    title: "a wrong password → 401 AUTHENTICATION_FAILED (the run's one failed attempt on the account)",
    usesPassword: true,
    async run(ctx) {
      const exchange = await wrongPassword(ctx);
      if (ctx.expectStatus(exchange, 401)) ctx.expectCode(exchange, OPERATIONS.fetchApiKey, 401, "AUTHENTICATION_FAILED", "authentication-failed");
    },
  }),
  fetchCase([401], {
    id: "fetch-api-key.unknown-user",
    title: "an unknown user gets the same status, code and message as a wrong password",
    usesPassword: true,
    async run(ctx) {
      const wrong = await wrongPassword(ctx);
      if (wrong.answer.status === 429) ctx.notChecked("the wrong-password attempt was refused by the rate limit, so there is nothing to compare with");
      const unknown = await ctx.send(loginSpec(ctx.throwawayEmail(), ctx.wrongPassword, "unknown user (a throwaway address)"));
      const shape = (e: Exchange) => {
        const body = typeof e.json === "object" && e.json !== null ? e.json : {};
        return { status: e.answer.status, code: valueAt(body, "/code"), msg: valueAt(body, "/msg"), fields: Object.keys(body).sort() };
      };
      const [a, b] = [shape(wrong), shape(unknown)];
      if (isDeepStrictEqual(a, b)) return;
      const differs = (Object.keys(a) as (keyof typeof a)[]).filter((k) => !isDeepStrictEqual(a[k], b[k]));
      ctx.fail(
        unknown,
        "account-enumeration",
        `an unknown user is answered differently from a wrong password (${differs.join(", ")} differ${differs.length === 1 ? "s" : ""}): anyone can find out which accounts exist`,
        {
          spec: [...FETCH, "responses", "401", "description"],
          pointer: differs.includes("status") ? "" : differs.includes("code") ? "/code" : differs.includes("msg") ? "/msg" : "",
          expected: `as for a wrong password: ${JSON.stringify(a)}`,
          actual: JSON.stringify(b),
        },
      );
    },
  }),
  fetchCase([200], {
    id: "fetch-api-key.case-insensitive",
    title: "the email is compared without case: the username in another case logs in, answered with the stored email",
    usesPassword: true,
    async run(ctx) {
      const { login: first } = await ctx.successfulLogin();
      const variant = otherCase(ctx.username);
      const second = await secondLogin(ctx);
      if (!variant) ctx.notChecked("the username is not an email address with letters (LDAP login), so its case was not changed");
      if (!ctx.expectStatus(second, 200, `Zulip finds ${variant} as ${ctx.username}: emails are compared without case`)) return;
      ctx.expectField(second, "/email", field(first, "email"), [...SUCCESS, "email", "description"]);
    },
  }),
  fetchCase([200], {
    id: "fetch-api-key.same-key",
    title: "a second login returns the same key",
    usesPassword: true,
    async run(ctx) {
      const key = await loginKey(ctx);
      expectSameKey(ctx, await successfulSecondLogin(ctx), key, "a second login");
    },
  }),
  fetchCase([200], {
    id: "fetch-api-key.ignored-parameters",
    title: "unused parameters (body and query string, never `client`) are listed sorted in ignored_parameters_unsupported",
    usesPassword: true,
    async run(ctx) {
      await ctx.successfulLogin();
      if (ctx.below(IGNORED_PARAMETERS_SINCE))
        ctx.notChecked(`the server's feature level is below ${IGNORED_PARAMETERS_SINCE} (Zulip 7.0), which added ignored_parameters_unsupported`);
      const second = await successfulSecondLogin(ctx);
      ctx.expectField(
        second,
        "/ignored_parameters_unsupported",
        ["zulip_auth_check_a", "zulip_auth_check_b"],
        [...SUCCESS, "ignored_parameters_unsupported", "description"],
      );
    },
  }),
  fetchCase([401], {
    id: "fetch-api-key.multipart",
    title: "a multipart/form-data body is read (zulip-js sends one): a throwaway login → 401, not 400",
    async run(ctx) {
      const fields: [string, FieldValue][] = [
        ["username", ctx.throwawayEmail()],
        ["password", throwawayPassword()],
      ];
      await expectParametersRead(
        ctx,
        { ...fetchSpec(fields), body: { kind: "multipart", fields }, label: "multipart, a throwaway address" },
        "multipart/form-data is declared",
      );
    },
  }),
  fetchCase([401], {
    id: "fetch-api-key.query-string",
    title: "parameters in the query string are read: a throwaway username there → 401, not 400",
    async run(ctx) {
      await expectParametersRead(
        ctx,
        {
          ...fetchSpec([["password", throwawayPassword()]]),
          query: [["username", ctx.throwawayEmail()]],
          label: "username in the query string, a throwaway address",
        },
        "parameters are read from the query string too",
      );
    },
  }),
  missingVariable("missing-username", "no username → 400 REQUEST_VARIABLE_MISSING with var_name username", "username", () =>
    fetchSpec([["password", throwawayPassword()]], { label: "password only" }),
  ),
  missingVariable("missing-password", "no password → 400 REQUEST_VARIABLE_MISSING with var_name password", "password", (ctx) =>
    fetchSpec([["username", ctx.throwawayEmail()]], { label: "username only (a throwaway address)" }),
  ),
  missingVariable(
    "json-body",
    "a JSON body is not read → 400 missing username",
    "username",
    (ctx) => ({
      ...fetchSpec([]),
      body: {
        kind: "json",
        fields: [
          ["username", ctx.throwawayEmail()],
          ["password", throwawayPassword()],
        ],
      },
      label: "JSON body, a throwaway address",
    }),
    "a JSON body is not read at all",
  ),
  fetchCase([400], {
    id: "fetch-api-key.invalid-email",
    title: "a username that is not an email address → 400 BAD_REQUEST (unless usernames need not be emails)",
    async run(ctx) {
      const required = setting(ctx, "require_email_format_usernames");
      if (required === false) ctx.notChecked("server_settings says usernames need not be email addresses (require_email_format_usernames is false)");
      // Zulip skips the email check whenever LDAP login is on, even for a directory whose usernames are emails.
      if (setting(ctx, "authentication_methods", "ldap") === true)
        ctx.notChecked("LDAP login is on (authentication_methods.ldap), and Zulip then does not check that usernames are email addresses");
      if (required === undefined) ctx.note("server_settings does not say whether usernames must be email addresses; Zulip's default (they must) was assumed");
      const exchange = await ctx.send(
        fetchSpec(
          [
            ["username", "zulip-auth-check-not-an-email"],
            ["password", throwawayPassword()],
          ],
          { label: "username without @" },
        ),
      );
      if (ctx.expectStatus(exchange, 400, "the username is not an email address"))
        ctx.expectCode(exchange, OPERATIONS.fetchApiKey, 400, "BAD_REQUEST", "invalid-email");
    },
  }),
  fetchCase([405], {
    id: "fetch-api-key.get-not-allowed",
    title: "GET fetch_api_key → 405 with Allow: POST",
    async run(ctx) {
      const { body: _body, ...get } = fetchSpec([]);
      const exchange = await ctx.send({ ...get, method: "GET", label: "GET" });
      if (ctx.expectStatus(exchange, 405)) expectAllowedMethod(ctx, exchange, "POST", [...FETCH, "responses", "405"]);
    },
  }),
];
