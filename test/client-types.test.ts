import { describe, expect, it } from "vitest";
import { type ClientError, type ClientResult, createZulipAuthClient } from "zulip-auth/client";

// The @ts-expect-error lines are checked by `tsc` (npm test type-checks before vitest runs): each must fail to
// compile, or the type check fails. The functions holding them are never called.
const client = createZulipAuthClient({ baseUrl: "https://chat.example.com" });

async function parametersTheContractForbids() {
  // @ts-expect-error a misspelt parameter: "usename"
  await client.fetchApiKey({ usename: "iago@zulip.com", password: "x" });
  // @ts-expect-error password is required by fetch_api_key
  await client.fetchApiKey({ username: "iago@zulip.com" });
  // @ts-expect-error dev_fetch_api_key takes no password
  await client.devFetchApiKey({ username: "iago@zulip.com", password: "x" });
  // @ts-expect-error parameters are strings
  await client.fetchApiKey({ username: "iago@zulip.com", password: 1234 });
  // @ts-expect-error a misspelt option
  await client.serverSettings({ timeout: 5 });
}

async function resultsMustBeChecked() {
  const result = await client.fetchApiKey({ username: "iago@zulip.com", password: "x" });
  // @ts-expect-error data is undefined until the error is ruled out
  void result.data.api_key;
  if (result.error) {
    // @ts-expect-error retryAfter exists only on RATE_LIMIT_HIT
    void result.error.retryAfter;
    // @ts-expect-error var_name exists only on REQUEST_VARIABLE_MISSING
    void result.error.var_name;
    if (result.error.code === "RATE_LIMIT_HIT") void (result.error.retryAfter satisfies number);
    if (result.error.code === "REQUEST_VARIABLE_MISSING") void (result.error.var_name satisfies string);
    return;
  }
  void (result.data.api_key satisfies string);
  void (result.data.user_id satisfies number);
  const dev = await client.devFetchApiKey({ username: "iago@zulip.com" });
  // @ts-expect-error dev_fetch_api_key has no PASSWORD_AUTH_DISABLED, so the comparison cannot be true
  if (dev.error?.code === "PASSWORD_AUTH_DISABLED") return;
}

/** Misses PASSWORD_RESET_REQUIRED (and the transport codes): the `never` check does not compile. */
function unhandledCode(error: ClientError<"fetch-api-key">): string {
  switch (error.code) {
    case "AUTHENTICATION_FAILED":
    case "PASSWORD_AUTH_DISABLED":
    case "REALM_DEACTIVATED":
    case "USER_DEACTIVATED":
    case "NONEXISTENT_SUBDOMAIN":
    case "BAD_REQUEST":
    case "REQUEST_VARIABLE_MISSING":
    case "REQUEST_TOO_LARGE":
    case "RATE_LIMIT_HIT":
    case "INTERNAL_SERVER_ERROR":
    case "UNEXPECTED_RESPONSE":
      return error.code;
    default: {
      // @ts-expect-error PASSWORD_RESET_REQUIRED, NETWORK_ERROR, TIMEOUT and ABORTED are not handled
      const unhandled: never = error;
      return unhandled;
    }
  }
}

/** Every code handled: compiles, and is what a caller writes. */
function describeError(error: ClientError<"fetch-api-key">): string {
  switch (error.code) {
    case "AUTHENTICATION_FAILED":
    case "PASSWORD_AUTH_DISABLED":
    case "REALM_DEACTIVATED":
    case "USER_DEACTIVATED":
    case "PASSWORD_RESET_REQUIRED":
    case "NONEXISTENT_SUBDOMAIN":
    case "BAD_REQUEST":
    case "REQUEST_TOO_LARGE":
    case "INTERNAL_SERVER_ERROR":
    case "SERVICE_UNAVAILABLE":
    case "LDAP_UNAVAILABLE":
      return `${error.status} ${error.msg}`;
    case "REQUEST_VARIABLE_MISSING":
      return `missing ${error.var_name}`;
    case "RATE_LIMIT_HIT":
      return `wait ${error.retryAfter} s`;
    case "UNEXPECTED_RESPONSE":
      return `not Zulip: ${error.status}`;
    case "NETWORK_ERROR":
    case "TIMEOUT":
    case "ABORTED":
      return `no answer: ${error.message}`;
    default: {
      const unhandled: never = error;
      return unhandled;
    }
  }
}

describe("the client's types (checked by tsc)", () => {
  it("are importable as zulip-auth/client, and an exhaustive handler covers every code", async () => {
    expect([parametersTheContractForbids, resultsMustBeChecked, unhandledCode].every((f) => typeof f === "function")).toBe(true);
    const result: ClientResult<"fetch-api-key"> = await createZulipAuthClient({
      baseUrl: "http://zulip.test",
      fetch: async () => Response.json({ result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": 12.5 }, { status: 429 }),
    }).fetchApiKey({ username: "iago@zulip.com", password: "x" });
    expect(result.error && describeError(result.error)).toBe("wait 12.5 s");
  });
});
