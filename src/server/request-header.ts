import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/**
 * A request header as the Fetch API's Headers.get gives it (repeats joined with ", "), from Node's raw headers
 * when the app runs under node:http: @hono/node-server builds a Headers object on a request's first header
 * lookup, which cost more than the rest of a server_settings answer's routing. `name` is lower-case.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const raw = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.rawHeaders;
  if (!raw) return c.req.header(name);
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}
