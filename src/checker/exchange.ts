import type { Answer } from "../contract/validator.ts";
import { isJsonObject, parseJson } from "../shared/text.ts";
import { reproCurl } from "./repro-curl.ts";
import { type RequestSpec, requestPath, toRequest } from "./request.ts";

/** Anything that answers a Request like `fetch` does: global fetch, or a Hono app's `fetch`. */
export type FetchLike = (request: Request) => Response | Promise<Response>;

/** A request sent and what came back. */
export interface Exchange {
  spec: RequestSpec;
  /** The request path, e.g. "/api/v1/fetch_api_key". */
  path: string;
  repro: string;
  answer: Answer;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The body's bytes as they came: what a client that does not decode like fetch reads. */
  bytes: Uint8Array;
  durationMs: number;
}

/** Why a request got no answer: refused connection, unknown host, reset, or no answer in time. */
export class NoAnswerError extends Error {
  override name = "NoAnswerError";
}

/** Sends a request and reads the whole answer, both within `timeoutMs`. */
export async function send(fetch: FetchLike, baseUrl: string, spec: RequestSpec, timeoutMs: number): Promise<Exchange> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // An in-process fetch ignores the signal: the race is what bounds it.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new NoAnswerError(`no answer within ${timeoutMs} ms`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  const started = performance.now();
  try {
    const { answer, bytes } = await Promise.race([
      Promise.resolve()
        .then(() => fetch(toRequest(baseUrl, spec, controller.signal)))
        .then(readAnswer),
      timeout,
    ]);
    return {
      spec,
      path: requestPath(spec),
      repro: reproCurl(baseUrl, spec),
      answer,
      bytes,
      json: parseJson(answer.bodyText),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    throw error instanceof NoAnswerError ? error : new NoAnswerError(describeFailure(error));
  } finally {
    clearTimeout(timer);
  }
}

/** The answer with its body decoded as fetch's `text()` does (a BOM dropped, bad UTF-8 replaced), and its raw bytes. */
async function readAnswer(response: Response): Promise<{ answer: Answer; bytes: Uint8Array }> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  return { answer: { status: response.status, headers: response.headers, bodyText: new TextDecoder().decode(bytes) }, bytes };
}

/** undici reports "fetch failed" and puts the reason (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function describeFailure(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = e.cause) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(": ") || String(error);
}

/** A top-level field of the answer's JSON body; undefined when the body is not a JSON object or lacks it. */
export function field(exchange: Exchange, name: string): unknown {
  return isJsonObject(exchange.json) ? exchange.json[name] : undefined;
}
