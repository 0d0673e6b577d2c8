import type { Context } from "hono";
import { isValidEmail } from "../../auth/email.ts";
import { passwordLogin } from "../../auth/login.ts";
import { loginMethods } from "../../auth/login-methods.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { badRequest, invalidSubdomain, loginFailure, variableMissing } from "../errors.ts";
import { requestSubdomain } from "../organization.ts";
import { readParams } from "../params.ts";
import { rateLimitHeaders, respond } from "../respond.ts";
import { apiKeySuccess } from "./api-key-success.ts";

/** POST /api/v1/fetch_api_key: Zulip's password login, in Zulip's order of checks. */
export function fetchApiKey(deps: AppDeps) {
  return async (c: Context<AppEnv>) => {
    const params = await readParams(c.req);
    const username = params.get("username");
    if (username === undefined) throw variableMissing("username");
    const password = params.get("password");
    if (password === undefined) throw variableMissing("password");

    const org = await deps.store.findOrganization(requestSubdomain(c, deps.config.rootDomain));
    if (!org) throw invalidSubdomain();
    if (!loginMethods(org, deps).ldap && !isValidEmail(username)) throw badRequest("Enter a valid email address.");

    const result = await passwordLogin(deps, org, username, password, {
      address: c.get("addressGroup") ?? "unknown",
      uniformErrors: deps.config.uniformErrors,
    });
    if (!result.ok) throw loginFailure(result.failure, result.rateLimit);
    return respond("fetch-api-key", 200, apiKeySuccess(result.user, params, ["username", "password"]), {
      "Cache-Control": "no-store",
      ...rateLimitHeaders(result.rateLimit),
    });
  };
}
