import type { DeclaredStatus, ErrorCode, JsonBody, OperationId } from "../contract/types.ts";

/** The operations the client calls. */
export type ClientOperation = Extract<OperationId, "fetch-api-key" | "dev-fetch-api-key" | "get-server-settings">;

type ErrorStatus<Op extends OperationId> = Exclude<DeclaredStatus<Op>, 200>;

/** Flattens an intersection so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A body whose `code` is an enum, split into one member per code so that `code` narrows it. */
type PerCode<B> = B extends { code: infer C } ? (C extends string ? Omit<B, "code"> & { code: C } : never) : never;

/** Each coded error body the contract declares for an operation, one member per code, with its HTTP status. */
type CodedAnswer<Op extends OperationId> = {
  [S in ErrorStatus<Op>]: PerCode<Extract<JsonBody<Op, S>, { code: string }>> & { status: S };
}[ErrorStatus<Op>];

/** What the client adds to particular codes: `retryAfter` in seconds for a rate-limit answer. */
type Extras<B> = B extends { code: "RATE_LIMIT_HIT" } ? { retryAfter: number } : unknown;

/**
 * An error answer from a Zulip server: the body the contract declares (`code`, `msg`, data fields such as
 * `var_name`) and its `status`, discriminated by `code`.
 */
export type ZulipApiError<Op extends OperationId> =
  CodedAnswer<Op> extends infer B ? (B extends { code: string } ? Simplify<B & Extras<B> & { kind: "zulip" }> : never) : never;

/** The request never got an answer: the connection failed, the timeout passed, or the caller aborted. */
export type TransportError =
  | { kind: "transport"; code: "NETWORK_ERROR"; message: string; cause: unknown }
  | { kind: "transport"; code: "TIMEOUT"; message: string; timeoutMs: number }
  | { kind: "transport"; code: "ABORTED"; message: string; reason: unknown };

/**
 * Something answered, but not as a Zulip server does for this operation (an HTML page, a redirect, a JSON
 * body without Zulip's envelope, a code the contract does not declare).
 */
export interface UnexpectedResponseError {
  kind: "unexpected-response";
  code: "UNEXPECTED_RESPONSE";
  message: string;
  status: number;
  contentType: string | null;
  /** Where a redirect points (the client does not follow redirects: a password must not be re-sent elsewhere). */
  location?: string;
  /** The `msg` of a Zulip-looking error body, when there was one. */
  msg?: string;
}

/** Every error an operation can produce; switch on `code`, or on `kind` to tell server answers apart. */
export type ClientError<Op extends ClientOperation> = ZulipApiError<Op> | TransportError | UnexpectedResponseError;

/** Every `code` a ClientError of this operation can carry. */
export type ClientErrorCode<Op extends ClientOperation> = ClientError<Op>["code"];

/** For each Zulip error code of an operation, the status the contract pairs it with. */
type StatusOfCode<Op extends OperationId> = {
  [C in ErrorCode<Op>]: Extract<CodedAnswer<Op>, { code: C }>["status"];
};

/**
 * The codes the contract declares, at run time. `satisfies` makes the compiler check this table against the
 * generated types: a code missing, extra or paired with the wrong status does not compile.
 */
export const DECLARED_CODES = {
  "fetch-api-key": {
    REQUEST_VARIABLE_MISSING: 400,
    BAD_REQUEST: 400,
    AUTHENTICATION_FAILED: 401,
    PASSWORD_AUTH_DISABLED: 401,
    REALM_DEACTIVATED: 401,
    USER_DEACTIVATED: 401,
    PASSWORD_RESET_REQUIRED: 401,
    NONEXISTENT_SUBDOMAIN: 404,
    REQUEST_TOO_LARGE: 413,
    RATE_LIMIT_HIT: 429,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
    LDAP_UNAVAILABLE: 503,
  },
  "dev-fetch-api-key": {
    REQUEST_VARIABLE_MISSING: 400,
    BAD_REQUEST: 400,
    AUTHENTICATION_FAILED: 401,
    REALM_DEACTIVATED: 401,
    USER_DEACTIVATED: 401,
    NONEXISTENT_SUBDOMAIN: 404,
    REQUEST_TOO_LARGE: 413,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
  },
  "get-server-settings": {
    BAD_REQUEST: 400,
    INTERNAL_SERVER_ERROR: 500,
    SERVICE_UNAVAILABLE: 503,
  },
} as const satisfies { [Op in ClientOperation]: StatusOfCode<Op> };
