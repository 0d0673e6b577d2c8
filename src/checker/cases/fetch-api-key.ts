import { isDeepStrictEqual } from "node:util";
import { OPERATIONS } from "../../contract/operations.ts";
import { type CaseContext, loginSpec, otherCase } from "../case-context.ts";
import { expectAllowedMethod, setting } from "../case-helpers.ts";
import { type Exchange, field } from "../exchange.ts";
import { refusalShape as anyRefusalShape } from "../refusal-shape.ts";
import { type FieldValue, type RequestSpec, requestFor, shownValue } from "../request.ts";
import { throwawayPassword } from "../throwaway.ts";
import { type CheckCase, casesOf, FETCH } from "./case.ts";

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

/** What two refusals must share: the shape of any refusal, and the rate-limit headers' meaning (same attempt count). */
function refusalShape(e: Exchange) {
  const headers = e.answer.headers;
  return {
    ...anyRefusalShape(e),
    "X-RateLimit-Limit": headers.get("x-ratelimit-limit"),
    "X-RateLimit-Remaining": headers.get("x-ratelimit-remaining"),
  };
}

/** Zulip's feature levels of what a login answer holds (the contract's x-zulip-feature-level). */
const USER_ID_SINCE = 171;
const IGNORED_PARAMETERS_SINCE = 167;

/** The second login's answer, or "not checked" when it was not a 200 with a key. */
async function successfulSecondLogin(ctx: CaseContext): Promise<Exchange> {
  const second = await ctx.secondLogin();
  if (second.answer.status !== 200 || typeof field(second, "api_key") !== "string") {
    ctx.notChecked(`the second login did not succeed (it was answered ${second.answer.status}; see fetch-api-key.case-insensitive)`);
  }
  return second;
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
    title: "near-misses of the password (one character appended; more with --failed-logins) → 401 AUTHENTICATION_FAILED: passwords are compared exactly",
    usesPassword: true,
    // zproject/backends.py: EmailAuthBackend.authenticate hands the password as sent to Django's check_password,
    // which compares the whole hash: no near-miss ever logs in on a real Zulip.
    async run(ctx) {
      for (const [i, miss] of ctx.nearMisses.entries()) {
        const exchange = await ctx.nearMiss(i);
        if (exchange.answer.status === 200) {
          ctx.fail(
            exchange,
            "password-not-exact",
            `a near-miss of the password (${shownValue(miss)}) logged in: the server does not compare passwords exactly`,
            {
              spec: [...FETCH, "responses", "401", "description"],
              expected: "401 AUTHENTICATION_FAILED",
              actual: "200 with an API key (not shown)",
            },
          );
          continue;
        }
        if (ctx.expectStatus(exchange, 401)) ctx.expectCode(exchange, OPERATIONS.fetchApiKey, 401, "AUTHENTICATION_FAILED", "authentication-failed");
      }
      if (ctx.nearMisses.length === 1)
        ctx.note("one near-miss (one character appended); --failed-logins 2 to 4 adds the case swapped, the last character cut and a space appended");
      else ctx.note(`${ctx.nearMisses.length} near-misses: ${ctx.nearMisses.map(shownValue).join(", ")}`);
    },
  }),
  fetchCase([401], {
    id: "fetch-api-key.unknown-user",
    title: "refusals are uniform: an unknown user gets the same status, code, message, fields, headers and rate-limit headers as a wrong password",
    usesPassword: true,
    // zproject/backends.py: an unknown user and a wrong password both end in authenticate() returning None, and
    // api_fetch_api_key answers both with get_api_key_fetch_authenticate_failure's AUTHENTICATION_FAILED; the
    // username's rate limit (RateLimitedAuthenticationByUsername) counts both alike.
    async run(ctx) {
      const wrong = await ctx.nearMiss(0);
      if (wrong.answer.status !== 401)
        ctx.notChecked(`the near-miss of the password was answered ${wrong.answer.status}, not refused: there is no refusal to compare with`);
      const unknown = await ctx.send(loginSpec(ctx.throwawayEmail(), throwawayPassword(), "unknown user (a throwaway address)"));
      const [a, b] = [refusalShape(wrong), refusalShape(unknown)];
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
      const second = await ctx.secondLogin();
      if (!variant) ctx.notChecked("the username is not an email address with letters (LDAP login), so its case was not changed");
      if (!ctx.expectStatus(second, 200, `Zulip finds ${variant} as ${ctx.username}: emails are compared without case`)) return;
      ctx.expectField(second, "/email", field(first, "email"), [...SUCCESS, "email", "description"]);
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
    title: "only POST logs in: GET (bare, and with a throwaway's credentials in the query string), PUT, PATCH and DELETE → 405 with Allow: POST",
    // zerver/views/auth.py: api_fetch_api_key is decorated with Django's require_post, which answers every other
    // method with 405 before the view reads a parameter.
    async run(ctx) {
      const credentials = (): [string, FieldValue][] => [
        ["username", ctx.throwawayEmail()],
        ["password", throwawayPassword()],
      ];
      const { body: _body, ...bare } = fetchSpec([]);
      const attempts: RequestSpec[] = [
        { ...bare, method: "GET", label: "GET" },
        { ...bare, method: "GET", query: credentials(), label: "GET, a throwaway's credentials in the query string" },
        ...["PUT", "PATCH", "DELETE"].map((method) => fetchSpec(credentials(), { method, label: `${method}, a throwaway's credentials in a form body` })),
      ];
      for (const spec of attempts) {
        const exchange = await ctx.send(spec);
        const status = exchange.answer.status;
        // A 401 means the credentials were read and tried; a 429 is left to the address limit (see CaseRecording.send).
        if (status === 200 || status === 401) {
          ctx.fail(exchange, "login-not-post", `${spec.method} was taken as a login attempt (${status}): credentials travel where logs and caches keep them`, {
            spec: [...FETCH, "responses", "405"],
            expected: "405 with Allow: POST, before the credentials are read",
            actual: `${status}${typeof field(exchange, "code") === "string" ? ` ${String(field(exchange, "code"))}` : ""}`,
          });
          continue;
        }
        if (ctx.expectStatus(exchange, 405)) expectAllowedMethod(ctx, exchange, "POST", [...FETCH, "responses", "405"]);
      }
    },
  }),
];
