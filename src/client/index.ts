// The public surface of `zulip-auth/client`.

export type { SuccessBody } from "./answer.ts";
export type { CallOptions, ClientResult, RateLimitWait, ZulipAuthClient, ZulipAuthClientOptions } from "./client.ts";
export { createZulipAuthClient, DEFAULT_TIMEOUT_MS } from "./client.ts";
export type { ClientError, ClientErrorCode, ClientOperation, TransportError, UnexpectedResponseError, ZulipApiError } from "./errors.ts";
export { normalizeSite } from "./site.ts";
