import type { Context } from "hono";
import { isValidEmail } from "../../auth/email.ts";
import { loginQueueKey, passwordLogin } from "../../auth/login.ts";
import { loginMethods } from "../../auth/login-methods.ts";
import { OPERATIONS } from "../../contract/operations.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { badRequest, invalidSubdomain, loginFailure, variableMissing } from "../errors.ts";
import { requestSubdomain } from "../organization.ts";
import { readParams } from "../params.ts";
import { rateLimitHeaders, respond } from "../respond.ts";
import { apiKeySuccess } from "./api-key-success.ts";

/** POST /api/v1/fetch_api_key: Zulip's password login, in Zulip's order of checks. */
export function fetchApiKey(deps: AppDeps) {
  return async (c: Context<AppEnv>) => {
    const address = c.get("addressGroup") ?? "unknown";
    const params = await readParams(c);
    const username = params.get("username");
    if (username === undefined) throw variableMissing("username");
    c.set("login", { username });
    const password = params.get("password");
    if (password === undefined) throw variableMissing("password");
    // The hash queue holds each user, over every address, to a share.
    const subdomain = requestSubdomain(c, deps.config.rootDomain);
    const user = loginQueueKey(subdomain, username);

    const org = await deps.store.findOrganization(subdomain);
    if (!org) throw invalidSubdomain();
    if (!loginMethods(org, deps).ldap && !isValidEmail(username)) throw badRequest("Enter a valid email address.");

    const result = await passwordLogin(deps, org, username, password, {
      address,
      user,
      uniformErrors: deps.config.uniformErrors,
    });
    const userId = result.ok ? result.user.id : result.userId;
    c.set("login", { username, ...(userId !== undefined ? { userId } : {}), ...(result.checked ? { checked: true } : {}) });
    if (!result.ok) {
      for (const rule of result.refusedBy ?? []) deps.metrics?.rateLimitRefusals.inc({ rule });
      throw loginFailure(result.failure, result.rateLimit);
    }
    return respond(OPERATIONS.fetchApiKey, 200, apiKeySuccess(result.user, params, ["username", "password"]), {
      "Cache-Control": "no-store",
      ...rateLimitHeaders(result.rateLimit),
    });
  };
}
