import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/**
 * A request header as the Fetch API's Headers.get gives it (repeats joined with ", "), from Node's raw headers
 * when the app runs under node:http: @hono/node-server builds a Headers object on a request's first header
 * lookup, which cost more than the rest of a server_settings answer's routing. `name` is lower-case.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const raw = nodeRequest(c)?.rawHeaders;
  return raw ? rawHeader(raw, name) : c.req.header(name);
}

/** Node's request under @hono/node-server; undefined in-process (`app.request`). */
export function nodeRequest(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/** A header from Node's raw header list, as Headers.get gives it (repeats joined with ", "). `name` is lower-case. */
export function rawHeader(raw: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}

/** How many times a request sent a header (RFC 9112 §3.2 allows one Host). `name` is lower-case. */
export function headerCount(raw: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count += 1;
  return count;
}

/** The request's Host when it sent exactly one (RFC 9112 §3.2), else undefined. */
export function soleHost(raw: readonly string[]): string | undefined {
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === "host") {
      if (host !== undefined) return undefined;
      host = raw[i + 1]!;
    }
  }
  return host;
}

/**
 * Whether a request announces a body (RFC 9112 §6.3): a Transfer-Encoding, or a first Content-Length above 0
 * (Node keeps the first). Read from the raw list: Node's headers object is built on first use.
 */
export function announcesBody(incoming: IncomingMessage): boolean {
  const raw = incoming.rawHeaders;
  let length: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 17 && name.toLowerCase() === "transfer-encoding") return true;
    if (name.length === 14 && length === undefined && name.toLowerCase() === "content-length") length = raw[i + 1]!;
  }
  return Number(length ?? 0) > 0;
}

/** A request target's path, without its query (which may hold a password, and names no route). */
export function targetPath(target: string): string {
  const query = target.indexOf("?");
  return query < 0 ? target : target.slice(0, query);
}
