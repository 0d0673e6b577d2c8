import type { Context } from "hono";
import { isValidEmail } from "../../auth/email.ts";
import { devLogin } from "../../auth/login.ts";
import { OPERATIONS } from "../../contract/operations.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { badRequest, invalidSubdomain, loginFailure, variableMissing } from "../errors.ts";
import { requestSubdomain } from "../organization.ts";
import { readParams } from "../params.ts";
import { respond } from "../respond.ts";
import { apiKeySuccess } from "./api-key-success.ts";

/** POST /api/v1/dev_fetch_api_key: a key without a password, on development servers only. */
export function devFetchApiKey(deps: AppDeps) {
  return async (c: Context<AppEnv>) => {
    const params = await readParams(c);
    const username = params.get("username");
    if (username === undefined) throw variableMissing("username");
    c.set("login", { username });
    if (!deps.config.devMode) throw badRequest("DevAuthBackend not enabled.");
    if (!isValidEmail(username)) throw badRequest("Enter a valid email address.");

    const org = await deps.store.findOrganization(requestSubdomain(c, deps.config.rootDomain));
    if (!org) throw invalidSubdomain();
    const result = await devLogin(deps.store, org, username);
    const userId = result.ok ? result.user.id : result.userId;
    if (userId !== undefined) c.set("login", { username, userId });
    if (!result.ok) throw loginFailure(result.failure, undefined);
    return respond(OPERATIONS.devFetchApiKey, 200, apiKeySuccess(result.user, params, ["username"]), { "Cache-Control": "no-store" });
  };
}
