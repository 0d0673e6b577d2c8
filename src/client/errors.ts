import type { DevFetchApiKey, FetchApiKey, GetServerSettings } from "../contract/operations.ts";
import type { CodedAnswer, OperationId } from "../contract/types.ts";

/** The operations the client calls. */
export type ClientOperation = FetchApiKey | DevFetchApiKey | GetServerSettings;

/** Flattens an intersection so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

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
