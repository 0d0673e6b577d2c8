import createClient from "openapi-fetch";
import type { paths } from "../../generated/zulip-auth.ts";
import { type DevFetchApiKey, type FetchApiKey, type GetServerSettings, OPERATIONS, type Operation } from "../contract/operations.ts";
import type { RequestForm } from "../contract/types.ts";
import { parseJson } from "../shared/text.ts";
import { classifyAnswer, type SuccessBody } from "./answer.ts";
import type { ClientError, ClientOperation } from "./errors.ts";
import { aborted, attemptSignal, sleep } from "./signals.ts";
import { apiRoot } from "./site.ts";

/** How long one request may take unless the caller says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Opt-in waiting on RATE_LIMIT_HIT: wait the server's Retry-After and try again, at most `maxWaitMs` in total. */
export interface RateLimitWait {
  maxWaitMs: number;
}

/** Options of `createZulipAuthClient`. */
export interface ZulipAuthClientOptions {
  /** The site URL, e.g. "https://chat.example.com" (a trailing slash is fine); the client adds /api/v1. */
  baseUrl: string | URL;
  /** The fetch to use (default: the global one); tests pass an app's fetch or a wrapper. */
  fetch?: (request: Request) => Promise<Response>;
  /** Per request attempt, in milliseconds (default 30 000; Infinity for none). */
  timeoutMs?: number;
  /** Wait on 429 and retry (off unless given). */
  retryOnRateLimit?: RateLimitWait;
  /** Sent as User-Agent where the platform allows it. */
  userAgent?: string;
}

/** Per-call options; they override the client's. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** `false` turns off a client-wide retryOnRateLimit for this call. */
  retryOnRateLimit?: RateLimitWait | false;
}

/** The outcome of a call, the openapi-fetch way: `data`, or an `error` value (never thrown). */
export type ClientResult<Op extends ClientOperation> =
  | { data: SuccessBody<Op>; error?: never; response: Response }
  | { data?: never; error: ClientError<Op>; response?: Response };

/** A typed client for Zulip's login endpoints. */
export interface ZulipAuthClient {
  /** The API root requests go to (the site URL followed by /api/v1). */
  readonly apiUrl: string;
  /** POST /fetch_api_key: a username and password in, the user's API key out. */
  fetchApiKey(params: RequestForm<FetchApiKey>, options?: CallOptions): Promise<ClientResult<FetchApiKey>>;
  /** POST /dev_fetch_api_key: a development server's key for any user, without a password. */
  devFetchApiKey(params: RequestForm<DevFetchApiKey>, options?: CallOptions): Promise<ClientResult<DevFetchApiKey>>;
  /** GET /server_settings: the server's version and the organization's login methods. */
  serverSettings(options?: CallOptions): Promise<ClientResult<GetServerSettings>>;
}

// openapi-fetch sends URLSearchParams only for exactly this header (no charset); otherwise it sends JSON.
const FORM = { "Content-Type": "application/x-www-form-urlencoded" } as const;

/** A client for one Zulip site. Throws a TypeError on misuse (a bad URL or option); never on a server's answer. */
export function createZulipAuthClient(options: ZulipAuthClientOptions): ZulipAuthClient {
  if (typeof options !== "object" || options === null) throw new TypeError("createZulipAuthClient needs an options object");
  const apiUrl = apiRoot(options.baseUrl);
  if (options.fetch !== undefined && typeof options.fetch !== "function") throw new TypeError("fetch must be a function");
  const clientTimeout = checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const clientWait = checkWait(options.retryOnRateLimit);
  const injected = options.fetch;
  const api = createClient<paths>({
    baseUrl: apiUrl,
    // Looked up per call, so a fetch installed after the client was made is used.
    fetch: (request) => (injected ?? globalThis.fetch)(request),
    // Never re-send a password to wherever a redirect points; a redirect is reported instead.
    redirect: "manual",
    headers: { Accept: "application/json", ...(options.userAgent ? { "User-Agent": options.userAgent } : {}) },
  });

  async function call<Op extends ClientOperation>(
    op: Operation<Op>,
    callOptions: CallOptions | undefined,
    send: (signal: AbortSignal) => Promise<{ data?: unknown; error?: unknown; response: Response }>,
  ): Promise<ClientResult<Op>> {
    const { signal: caller, timeoutMs, retryOnRateLimit } = checkCallOptions(callOptions);
    const timeout = timeoutMs === undefined ? clientTimeout : checkTimeout(timeoutMs);
    const wait = retryOnRateLimit === undefined ? clientWait : retryOnRateLimit === false ? undefined : checkWait(retryOnRateLimit);
    let waitedMs = 0;
    for (;;) {
      if (caller?.aborted) return { error: aborted(caller.reason) };
      const attempt = attemptSignal(caller, timeout);
      let result: ClientResult<Op>;
      try {
        const { data, error, response } = await send(attempt.signal);
        // parseAs "text": a success body arrives as text; an error body is parsed by openapi-fetch when it is JSON.
        const json = response.ok ? parseJson(typeof data === "string" ? data : undefined) : typeof error === "object" ? error : undefined;
        result = { ...classifyAnswer(op, response, json), response } as ClientResult<Op>;
      } catch (cause) {
        return { error: attempt.transportError(cause) };
      }
      const retryAfter = rateLimitRetryAfter(result.error);
      if (!wait || retryAfter === undefined) return result;
      const ms = Math.ceil(retryAfter * 1000);
      if (waitedMs + ms > wait.maxWaitMs) return result;
      if (!(await sleep(ms, caller))) return { error: aborted(caller?.reason), ...(result.response ? { response: result.response } : {}) };
      waitedMs += ms;
    }
  }

  return {
    apiUrl,
    async fetchApiKey(params, callOptions) {
      const body = { username: stringParam(params, "username"), password: stringParam(params, "password") };
      return call(OPERATIONS.fetchApiKey, callOptions, (signal) => api.POST(OPERATIONS.fetchApiKey.path, { body, headers: FORM, parseAs: "text", signal }));
    },
    async devFetchApiKey(params, callOptions) {
      const body = { username: stringParam(params, "username") };
      return call(OPERATIONS.devFetchApiKey, callOptions, (signal) =>
        api.POST(OPERATIONS.devFetchApiKey.path, { body, headers: FORM, parseAs: "text", signal }),
      );
    },
    async serverSettings(callOptions) {
      return call(OPERATIONS.getServerSettings, callOptions, (signal) => api.GET(OPERATIONS.getServerSettings.path, { parseAs: "text", signal }));
    },
  };
}

/** Seconds to wait when the error is a rate-limit answer. */
function rateLimitRetryAfter(error: { [Op in ClientOperation]: ClientError<Op> }[ClientOperation] | undefined): number | undefined {
  return error?.kind === "zulip" && error.code === "RATE_LIMIT_HIT" ? error.retryAfter : undefined;
}

function stringParam(params: unknown, name: string): string {
  const value = (params as Record<string, unknown> | null | undefined)?.[name];
  if (typeof value !== "string") throw new TypeError(`${name} must be a string`);
  return value;
}

function checkTimeout(ms: unknown): number {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms <= 0) throw new TypeError("timeoutMs must be a positive number of milliseconds (or Infinity)");
  return ms;
}

function checkWait(wait: unknown): RateLimitWait | undefined {
  if (wait === undefined) return undefined;
  const maxWaitMs = (wait as RateLimitWait | null)?.maxWaitMs;
  if (typeof maxWaitMs !== "number" || !Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new TypeError("retryOnRateLimit.maxWaitMs must be a finite number of milliseconds ≥ 0");
  }
  return { maxWaitMs };
}

function checkCallOptions(options: unknown): CallOptions {
  if (options === undefined) return {};
  if (typeof options !== "object" || options === null) throw new TypeError("call options must be an object");
  const { signal } = options as CallOptions;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("signal must be an AbortSignal");
  return options as CallOptions;
}
