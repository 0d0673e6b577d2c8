import { OPERATIONS } from "../../contract/operations.ts";
import type { CaseContext } from "../case-context.ts";
import { devLoginAdvertised, expectAllowedMethod } from "../case-helpers.ts";
import { type Exchange, field } from "../exchange.ts";
import { type RequestSpec, requestFor } from "../request.ts";
import { type CheckCase, casesOf, DEV_FETCH } from "./case.ts";

const devCase = casesOf(OPERATIONS.devFetchApiKey);

const devSpec = (username: string, label: string): RequestSpec =>
  requestFor(OPERATIONS.devFetchApiKey, { body: { kind: "form", fields: [["username", username]] }, label });

/** On a development server: the key is the user's, and an unknown user is refused. */
async function checkDevelopmentLogin(ctx: CaseContext, exchange: Exchange): Promise<void> {
  ctx.note(
    "development server: dev_fetch_api_key hands out keys without a password, as server_settings advertises (authentication_methods.dev); never run it in production",
  );
  const login = await ctx.login();
  const key = field(login, "api_key");
  if (login.answer.status === 200 && typeof key === "string" && field(exchange, "api_key") !== key) {
    ctx.fail(exchange, "identity-changed", "dev_fetch_api_key returned another key than fetch_api_key for the same user", {
      spec: ["components", "schemas", "ApiKeySuccess", "properties", "api_key", "description"],
      pointer: "/api_key",
      expected: "the key fetch_api_key returned",
      actual: "another key (keys are not shown)",
    });
  }
  const unknown = await ctx.send(devSpec(ctx.throwawayEmail(), "unknown user (a throwaway address)"));
  if (ctx.expectStatus(unknown, 401, "no such user")) ctx.expectCode(unknown, OPERATIONS.devFetchApiKey, 401, "AUTHENTICATION_FAILED", "authentication-failed");
}

/** A production Zulip has no dev_fetch_api_key route: Django's HTML 404, for every method. */
function noSuchRoute(ctx: CaseContext, exchange: Exchange): boolean {
  if (exchange.answer.status !== 404 || exchange.json !== undefined) return false;
  ctx.note("production server: there is no dev_fetch_api_key route (an HTML 404, as a production Zulip answers)");
  return true;
}

export const devFetchApiKeyCases: CheckCase[] = [
  devCase([200, 400, 401, 404], {
    id: "dev-fetch-api-key.production-refuses",
    title: "dev_fetch_api_key refuses (400, or no such route) unless server_settings advertises development login",
    async run(ctx) {
      // A release never serves development login (see devLoginAdvertised), whatever server_settings says.
      const advertised = devLoginAdvertised(ctx);
      const exchange = await ctx.send(devSpec(ctx.username, "the given username, no password"));
      const status = exchange.answer.status;
      if (status === 200 && typeof field(exchange, "api_key") === "string") {
        if (advertised) return checkDevelopmentLogin(ctx, exchange);
        ctx.fail(
          exchange,
          "dev-login-open",
          "dev_fetch_api_key handed out a key without a password, and server_settings does not advertise development login: anyone can log in as anyone",
          {
            spec: [...DEV_FETCH, "description"],
            expected: "400 DevAuthBackend not enabled.",
            actual: "200 with an API key (not shown)",
          },
        );
        return;
      }
      if (noSuchRoute(ctx, exchange)) return;
      if (!ctx.expectStatus(exchange, 400, "development login is off")) return;
      ctx.expectCode(exchange, OPERATIONS.devFetchApiKey, 400, "BAD_REQUEST", "dev-auth-disabled");
      if (advertised) ctx.note("server_settings advertises development login (authentication_methods.dev) but dev_fetch_api_key refuses it");
    },
  }),
  devCase([404, 405], {
    id: "dev-fetch-api-key.get-not-allowed",
    title: "GET dev_fetch_api_key → 405 with Allow: POST (or no such route on a production server)",
    async run(ctx) {
      const { body: _body, ...get } = devSpec(ctx.username, "GET");
      const exchange = await ctx.send({ ...get, method: "GET" });
      if (noSuchRoute(ctx, exchange)) return;
      if (ctx.expectStatus(exchange, 405)) expectAllowedMethod(ctx, exchange, "POST", [...DEV_FETCH, "responses", "405"]);
    },
  }),
];
