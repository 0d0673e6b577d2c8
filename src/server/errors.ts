import type { Schema } from "../contract/types.ts";
import type { LoginFailure } from "../auth/login.ts";
import type { RateLimitDecision } from "../auth/rate-limit.ts";
import type { Dependency } from "../unavailable.ts";
import { jsonResponse, rateLimitHeaders } from "./respond.ts";

type ErrorBody =
  | Schema<"VariableMissingError">
  | Schema<"BadRequestError">
  | Schema<"FetchApiKeyUnauthorizedError">
  | Schema<"InvalidSubdomainError">
  | Schema<"MethodNotAllowedError">
  | Schema<"PayloadTooLargeError">
  | Schema<"RateLimitError">
  | Schema<"InternalServerError">
  | Schema<"ServiceUnavailableError">
  | Schema<"LdapUnavailableError">;

/** A Zulip error answer, thrown by handlers and turned into its response by the app's error handler. */
export class ZulipError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.msg);
    this.name = "ZulipError";
  }

  toResponse(): Response {
    return jsonResponse(this.status, this.body, this.headers);
  }
}

// Keys are written in Zulip's wire order: result, msg, data fields, then code.

/** 400 for a parameter that is in neither the body nor the query string. */
export const variableMissing = (name: string) =>
  new ZulipError(400, { result: "error", msg: `Missing '${name}' argument`, var_name: name, code: "REQUEST_VARIABLE_MISSING" });

/** 400 with Zulip's generic BAD_REQUEST code. */
export const badRequest = (msg: string) => new ZulipError(400, { result: "error", msg, code: "BAD_REQUEST" });

/** 404 for a Host naming no organisation. */
export const invalidSubdomain = () => new ZulipError(404, { result: "error", msg: "Invalid subdomain", code: "NONEXISTENT_SUBDOMAIN" });

/** 405 listing the methods the path accepts, in the body and the Allow header. */
export const methodNotAllowed = (allowed: string[]) =>
  new ZulipError(405, { result: "error", msg: "Method Not Allowed", allowed_methods: allowed }, { Allow: allowed.join(", ") });

/** 413 for a body over the configured limit. */
export const payloadTooLarge = () => new ZulipError(413, { result: "error", msg: "Request body too large", code: "REQUEST_TOO_LARGE" });

/** 500 with no internals. */
export const internalError = () => new ZulipError(500, { result: "error", msg: "Internal server error", code: "INTERNAL_SERVER_ERROR" });

/** Seconds a client is asked to wait after a 503: long enough for a restart, short enough not to lose users. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const UNREACHABLE: Record<Dependency, string> = {
  database: "The server cannot reach its database; try again shortly",
  "rate-limit store": "The server cannot reach its rate-limit store; try again shortly",
  directory: "The server cannot reach its LDAP directory; try again shortly",
};

/** 503 for a dependency that does not answer; the directory has a code of its own. */
export function serviceUnavailable(dependency: Dependency, headers: Record<string, string> = {}): ZulipError {
  const code = dependency === "directory" ? "LDAP_UNAVAILABLE" : "SERVICE_UNAVAILABLE";
  return new ZulipError(503, { result: "error", msg: UNREACHABLE[dependency], code }, { ...headers, "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
}

/** 404 for a path the API does not have. */
export const notFound = () => new ZulipError(404, { result: "error", msg: "Not Found", code: "BAD_REQUEST" });

const UNAUTHORIZED: Record<Exclude<LoginFailure, "RATE_LIMIT_HIT" | "NONEXISTENT_SUBDOMAIN" | "LDAP_UNAVAILABLE">, string> = {
  AUTHENTICATION_FAILED: "Your username or password is incorrect",
  PASSWORD_AUTH_DISABLED: "Password authentication is disabled in this organization",
  REALM_DEACTIVATED: "This organization has been deactivated",
  USER_DEACTIVATED: "Account is deactivated",
  PASSWORD_RESET_REQUIRED: "Your password has been disabled and needs to be reset",
};

/** The answer to a refused login, with the rate-limit headers when the attempt was counted. */
export function loginFailure(failure: LoginFailure, rateLimit: RateLimitDecision | undefined): ZulipError {
  const headers = rateLimitHeaders(rateLimit);
  if (failure === "NONEXISTENT_SUBDOMAIN") return new ZulipError(404, invalidSubdomain().body, headers);
  if (failure === "LDAP_UNAVAILABLE") return serviceUnavailable("directory", headers);
  if (failure === "RATE_LIMIT_HIT") {
    const retryAfter = rateLimit?.retryAfter ?? 0;
    return new ZulipError(
      429,
      { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": retryAfter },
      { ...headers, "Retry-After": String(Math.ceil(retryAfter)) },
    );
  }
  return new ZulipError(401, { result: "error", msg: UNAUTHORIZED[failure], code: failure }, headers);
}
