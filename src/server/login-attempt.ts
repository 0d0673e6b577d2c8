import type { Context, MiddlewareHandler } from "hono";
import type { DevFetchApiKey, FetchApiKey, Operation } from "../contract/operations.ts";
import { isJsonObject } from "../shared/text.ts";
import { UnavailableError } from "../shared/unavailable.ts";
import { emailKey } from "../store/store.ts";
import { clientAddress } from "./client-address.ts";
import type { AppDeps, AppEnv } from "./deps.ts";
import { serviceUnavailable, ZulipError } from "./errors.ts";
import { subdomainFromHost } from "./organization.ts";
import { userAgentName } from "./user-agent.ts";

// A body may hold 64 KiB and a User-Agent many more: a client must not grow the table by what it sends. No
// email address is longer than 254 characters; client names are short words (ZulipMobile, ZulipFlutter).
const MAX_USERNAME = 254;
const MAX_CLIENT = 64;
/** A subdomain is one DNS label; an IPv6 address with its IPv4 tail fits in 45 characters. */
const MAX_ORGANIZATION = 63;
const MAX_ADDRESS = 45;

/**
 * Records every attempt on a login endpoint once it is answered: the audit trail (handed to the batching
 * writer, never awaited) and the login-outcome metric. Nothing secret is read: the username and user
 * id come from what the handler noted on the context, the outcome from the answer's code.
 */
export function loginAttempt(deps: AppDeps, operation: Operation<FetchApiKey | DevFetchApiKey>): MiddlewareHandler<AppEnv> {
  // The audit trail and the metric name the endpoint as Zulip's URL does: "fetch_api_key".
  const endpoint = operation.path.slice(1);
  return async (c, next) => {
    await next();
    if (!deps.audit && !deps.metrics) return;
    const outcome = outcomeOf(c);
    deps.metrics?.loginAttempts.inc({ endpoint, outcome });
    const login = c.get("login");
    // Attempts that reached password checking, and successes, are a row each; refusals before it (400s,
    // 429s, an empty password) are counted in one row per address, outcome and minute.
    const collapse = outcome !== "success" && !login?.checked;
    deps.audit?.record(
      {
        time: new Date().toISOString(),
        organization: (c.get("organization") ?? subdomainFromHost(c.req.header("host"), deps.config.rootDomain)).slice(0, MAX_ORGANIZATION),
        endpoint,
        username: login ? emailKey(login.username).slice(0, MAX_USERNAME) : "",
        user_id: login?.userId ?? null,
        ip: clientAddress(c).slice(0, MAX_ADDRESS),
        client: userAgentName(c.req.header("user-agent")).slice(0, MAX_CLIENT),
        outcome,
        request_id: c.get("requestId"),
      },
      { collapse },
    );
  };
}

/** "success", or the code of the answer's body (every error answer of these endpoints has one but 405's). */
function outcomeOf(c: Context<AppEnv>): string {
  const error = c.error instanceof UnavailableError ? serviceUnavailable(c.error.dependency) : c.error;
  if (error instanceof ZulipError) {
    const { body } = error;
    return isJsonObject(body) && typeof body.code === "string" ? body.code : String(error.status);
  }
  const status = c.res.status;
  if (status === 200) return "success";
  if (status === 413) return "REQUEST_TOO_LARGE";
  return status === 500 ? "INTERNAL_SERVER_ERROR" : String(status);
}
