import { describe, expect, it } from "vitest";
import { duration, loginErrorMessage, siteErrorMessage } from "../src/cli/login-messages.ts";
import type { SiteCheckError } from "../src/cli/login-site.ts";
import type { ClientError, ClientErrorCode } from "../src/client/errors.ts";

const ctx = { site: "https://chat.example.com", username: "iago@zulip.com", organization: "Zulip Dev" };
const zulip = { kind: "zulip", result: "error" } as const;

// One error of each code; the Record type makes the list complete, so a new code in the contract must be added here.
const LOGIN_ERRORS: { [C in ClientErrorCode<"fetch-api-key">]: Extract<ClientError<"fetch-api-key">, { code: C }> } = {
  REQUEST_VARIABLE_MISSING: { ...zulip, status: 400, code: "REQUEST_VARIABLE_MISSING", msg: "Missing 'password' argument", var_name: "password" },
  BAD_REQUEST: { ...zulip, status: 400, code: "BAD_REQUEST", msg: "Enter a valid email address." },
  AUTHENTICATION_FAILED: { ...zulip, status: 401, code: "AUTHENTICATION_FAILED", msg: "Your username or password is incorrect" },
  PASSWORD_AUTH_DISABLED: { ...zulip, status: 401, code: "PASSWORD_AUTH_DISABLED", msg: "Password authentication is disabled in this organization" },
  REALM_DEACTIVATED: { ...zulip, status: 401, code: "REALM_DEACTIVATED", msg: "This organization has been deactivated" },
  USER_DEACTIVATED: { ...zulip, status: 401, code: "USER_DEACTIVATED", msg: "Account is deactivated" },
  PASSWORD_RESET_REQUIRED: { ...zulip, status: 401, code: "PASSWORD_RESET_REQUIRED", msg: "Your password has been disabled and needs to be reset" },
  NONEXISTENT_SUBDOMAIN: { ...zulip, status: 404, code: "NONEXISTENT_SUBDOMAIN", msg: "Invalid subdomain" },
  REQUEST_TOO_LARGE: { ...zulip, status: 413, code: "REQUEST_TOO_LARGE", msg: "Request body too large" },
  RATE_LIMIT_HIT: { ...zulip, status: 429, code: "RATE_LIMIT_HIT", msg: "API usage exceeded rate limit", "retry-after": 42.5, retryAfter: 42.5 },
  INTERNAL_SERVER_ERROR: { ...zulip, status: 500, code: "INTERNAL_SERVER_ERROR", msg: "Internal server error" },
  SERVICE_UNAVAILABLE: { ...zulip, status: 503, code: "SERVICE_UNAVAILABLE", msg: "The server cannot reach its database; try again shortly" },
  LDAP_UNAVAILABLE: { ...zulip, status: 503, code: "LDAP_UNAVAILABLE", msg: "The server cannot reach its LDAP directory; try again shortly" },
  UNEXPECTED_RESPONSE: {
    kind: "unexpected-response",
    code: "UNEXPECTED_RESPONSE",
    message: "the answer (502, text/html) is not a Zulip JSON answer",
    status: 502,
    contentType: "text/html",
  },
  NETWORK_ERROR: { kind: "transport", code: "NETWORK_ERROR", message: "connect ECONNREFUSED 127.0.0.1:9991", cause: new Error("x") },
  TIMEOUT: { kind: "transport", code: "TIMEOUT", message: "no answer within 30000 ms", timeoutMs: 30_000 },
  ABORTED: { kind: "transport", code: "ABORTED", message: "the request was aborted", reason: undefined },
};

describe("human messages for the login command", () => {
  it("every fetch_api_key error gets its own sentence, without the code", () => {
    const messages = Object.values(LOGIN_ERRORS).map((e) => loginErrorMessage(e, ctx));
    expect(new Set(messages).size).toBe(messages.length);
    for (const [code, error] of Object.entries(LOGIN_ERRORS)) {
      const message = loginErrorMessage(error, ctx);
      expect(message, code).not.toContain(code);
      expect(message.length, code).toBeGreaterThan(8);
    }
    expect(loginErrorMessage(LOGIN_ERRORS.RATE_LIMIT_HIT, ctx)).toBe("too many login attempts for iago@zulip.com: try again in 43 seconds");
    expect(loginErrorMessage(LOGIN_ERRORS.REQUEST_VARIABLE_MISSING, ctx)).toContain("did not receive the password");
    expect(loginErrorMessage(LOGIN_ERRORS.NETWORK_ERROR, ctx)).toBe("could not reach https://chat.example.com: connect ECONNREFUSED 127.0.0.1:9991");
    expect(loginErrorMessage(LOGIN_ERRORS.TIMEOUT, ctx)).toBe("https://chat.example.com did not answer within 30 seconds");
  });

  it("a redirect names the address to use instead", () => {
    const redirect = { ...LOGIN_ERRORS.UNEXPECTED_RESPONSE, status: 301, location: "https://zulip.example.com/api/v1/fetch_api_key" };
    expect(loginErrorMessage(redirect, ctx)).toBe("https://chat.example.com redirects the login to https://zulip.example.com: use that address");
    expect(siteErrorMessage({ ...redirect, location: "https://zulip.example.com/api/v1/server_settings" }, ctx)).toBe(
      "https://chat.example.com redirects to https://zulip.example.com: use that address",
    );
  });

  it("every reason a site check stops gets a sentence", () => {
    const SITE: { [C in SiteCheckError["code"]]: Extract<SiteCheckError, { code: C }> } = {
      NOT_AN_ORGANIZATION: { kind: "site", code: "NOT_AN_ORGANIZATION" },
      PASSWORD_LOGIN_DISABLED: { kind: "site", code: "PASSWORD_LOGIN_DISABLED", organization: "Zulip Dev" },
      BAD_REQUEST: { ...zulip, status: 400, code: "BAD_REQUEST", msg: "Invalid subdomain" },
      INTERNAL_SERVER_ERROR: { ...zulip, status: 500, code: "INTERNAL_SERVER_ERROR", msg: "Internal server error" },
      SERVICE_UNAVAILABLE: LOGIN_ERRORS.SERVICE_UNAVAILABLE,
      UNEXPECTED_RESPONSE: LOGIN_ERRORS.UNEXPECTED_RESPONSE,
      NETWORK_ERROR: LOGIN_ERRORS.NETWORK_ERROR,
      TIMEOUT: LOGIN_ERRORS.TIMEOUT,
      ABORTED: LOGIN_ERRORS.ABORTED,
    };
    const messages = Object.values(SITE).map((e) => siteErrorMessage(e, { site: ctx.site }));
    expect(new Set(messages).size).toBe(messages.length);
    expect(siteErrorMessage(SITE.BAD_REQUEST, { site: ctx.site })).toBe("there is no organization at https://chat.example.com (Invalid subdomain)");
    expect(siteErrorMessage(SITE.NOT_AN_ORGANIZATION, { site: ctx.site })).toContain("https://<your-org>.chat.example.com");
  });

  it.each([
    [0.2, "1 second"],
    [42.5, "43 seconds"],
    [89, "89 seconds"],
    [90, "2 minutes"],
    [1799.25, "30 minutes"],
  ])("duration(%s) = %s", (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
