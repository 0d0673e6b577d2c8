import { HTTPException } from "hono/http-exception";
import type { Logger } from "pino";
import type { LoginFailure } from "../auth/login.ts";
import type { RateLimitDecision } from "../auth/rate-limit.ts";
import type { DeclaredStatus, JsonBody, OperationId, Schema } from "../contract/types.ts";
import { type Dependency, UnavailableError } from "../shared/unavailable.ts";
import { jsonResponse, rateLimitHeaders } from "./respond.ts";

/** Every status some operation of the contract declares, but success. */
export type ErrorStatus = Exclude<{ [Op in OperationId]: DeclaredStatus<Op> }[OperationId], 200>;

/** The bodies the contract allows with status S, on whichever operation declares it. */
export type ErrorBody<S extends ErrorStatus> = { [Op in OperationId]: S extends DeclaredStatus<Op> ? JsonBody<Op, S> : never }[OperationId];

/**
 * A Zulip error answer, the server's one HTTP error: an HTTPException, so Hono renders it wherever it is
 * thrown. Its body is typed by its status from the contract: a status no operation declares, or a body no
 * operation allows with that status, does not compile.
 */
export class ZulipError<S extends ErrorStatus = ErrorStatus> extends HTTPException {
  override readonly status: S;

  constructor(
    status: S,
    readonly body: ErrorBody<S>,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message: body.msg });
    this.status = status;
    this.name = "ZulipError";
  }

  /** The answer as Zulip sends it; Hono's own error path calls this for any HTTPException. */
  override getResponse(): Response {
    return jsonResponse(this.status, this.body, this.headers);
  }
}

// Keys are written in Zulip's wire order: result, msg, data fields, then code.

/** 400 for a parameter that is in neither the body nor the query string. */
export const variableMissing = (name: string) =>
  new ZulipError(400, { result: "error", msg: `Missing '${name}' argument`, var_name: name, code: "REQUEST_VARIABLE_MISSING" });

/** 400 with Zulip's generic BAD_REQUEST code. */
export const badRequest = (msg: string) => new ZulipError(400, { result: "error", msg, code: "BAD_REQUEST" });

/** 404 for a Host naming no organization. */
export const invalidSubdomain = () => new ZulipError(404, { result: "error", msg: "Invalid subdomain", code: "NONEXISTENT_SUBDOMAIN" });

/** 405 listing the methods the path accepts, in the body and the Allow header. */
export const methodNotAllowed = (allowed: string[]) =>
  new ZulipError(405, { result: "error", msg: "Method Not Allowed", allowed_methods: allowed }, { Allow: allowed.join(", ") });

/** 413 for a body over the configured limit. */
export const payloadTooLarge = () => new ZulipError(413, { result: "error", msg: "Request body too large", code: "REQUEST_TOO_LARGE" });

/** 500 with no internals. */
export const internalError = () => new ZulipError(500, { result: "error", msg: "Internal server error", code: "INTERNAL_SERVER_ERROR" });

/** Seconds a client is asked to wait after a 503: long enough for a restart, short enough not to lose users. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const UNREACHABLE: Record<Dependency, string> = {
  database: "The server cannot reach its database; try again shortly",
  "rate-limit store": "The server cannot reach its rate-limit store; try again shortly",
  directory: "The server cannot reach its LDAP directory; try again shortly",
};

/** 503 for a dependency that does not answer; the directory has a code of its own. */
export function serviceUnavailable(dependency: Dependency, headers: Record<string, string> = {}): ZulipError {
  const msg = UNREACHABLE[dependency];
  const body: ErrorBody<503> =
    dependency === "directory" ? { result: "error", msg, code: "LDAP_UNAVAILABLE" } : { result: "error", msg, code: "SERVICE_UNAVAILABLE" };
  return new ZulipError(503, body, { ...headers, "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SECONDS) });
}

/**
 * The answer to anything a handler threw: a ZulipError as it is; an unavailable service's 503 (logged as a
 * warning); anything else a 500 with no internals, logged. Hono's error path and the edge's rows both use it.
 */
export function errorAnswer(error: unknown, logger: Logger, reqId?: string): ZulipError {
  if (error instanceof ZulipError) return error;
  if (error instanceof UnavailableError) {
    logger.warn({ reqId, err: error.cause }, error.message);
    return serviceUnavailable(error.dependency);
  }
  logger.error({ reqId, err: error }, "unhandled error");
  return internalError();
}

/** The JSON 404 for a path the API does not have (outside the contract's operations, in Zulip's error shape). */
export const notFound = () => jsonResponse(404, { result: "error", msg: "Not Found", code: "BAD_REQUEST" } satisfies Schema<"BadRequestError">);

/** 503 when the hash queue is full: every core is busy and the queue holds all it may. */
const serverBusy = (headers: Record<string, string> = {}) =>
  new ZulipError(
    503,
    { result: "error", msg: "The server is busy; try again shortly", code: "SERVICE_UNAVAILABLE" },
    { ...headers, "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
  );

const UNAUTHORIZED: Record<Exclude<LoginFailure, "RATE_LIMIT_HIT" | "NONEXISTENT_SUBDOMAIN" | "LDAP_UNAVAILABLE" | "SERVER_BUSY">, string> = {
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
  if (failure === "SERVER_BUSY") return serverBusy(headers);
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
