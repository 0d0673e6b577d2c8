import { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { payloadTooLarge } from "./errors.ts";
import { nodeRequest, rawHeader } from "./request-header.ts";

/**
 * The length a node:http request announces for its body: its Content-Length, when it sends no
 * Transfer-Encoding (then Node reads exactly that many bytes); undefined otherwise, and in-process.
 */
function announcedLength(incoming: IncomingMessage | undefined): number | undefined {
  // Node's own request only, as @hono/node-server hands it over: a stand-in (a test's, or an object derived from
  // it by a wrapper that rewrote the Fetch request) has no body of its own, which the Fetch request then holds.
  if (incoming === undefined || Object.getPrototypeOf(incoming) !== IncomingMessage.prototype) return undefined;
  const raw = incoming.rawHeaders;
  if (rawHeader(raw, "transfer-encoding") !== undefined) return undefined;
  const length = rawHeader(raw, "content-length");
  return length === undefined ? undefined : Number.parseInt(length || "0", 10);
}

/**
 * Hono's body limit, deciding from Node's raw headers when the body's length is announced: Hono's own reads
 * `c.req.raw.body`, which makes @hono/node-server build a Fetch Request, its stream and its AbortSignal
 * (with the form's parsing, a tenth of a login's event loop). A chunked body, and in-process requests, go
 * through Hono's, which counts what it reads.
 */
export function limitBody(maxSize: number): MiddlewareHandler {
  const counting = bodyLimit({ maxSize, onError: () => payloadTooLarge().getResponse() });
  return async (c, next) => {
    const length = announcedLength(nodeRequest(c));
    if (length === undefined) return counting(c, next);
    if (length > maxSize) return payloadTooLarge().getResponse();
    await next();
  };
}

const utf8 = new TextDecoder();

/**
 * The request's body as text, as the Fetch API's `text()` decodes it (UTF-8, a leading BOM dropped, bad
 * sequences replaced). Under node:http with an announced length (which limitBody checked) it is read straight
 * from Node's request.
 */
export async function bodyText(c: Context): Promise<string> {
  const incoming = nodeRequest(c);
  if (announcedLength(incoming) === undefined) return c.req.text();
  const chunks: Buffer[] = [];
  for await (const chunk of incoming as IncomingMessage) chunks.push(chunk as Buffer);
  return utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
}

/** The request's query string as URLSearchParams; none read when Node's request target has no "?". */
export function queryOf(c: Context): URLSearchParams {
  const target = nodeRequest(c)?.url;
  return target !== undefined && !target.includes("?") ? new URLSearchParams() : new URL(c.req.url).searchParams;
}
