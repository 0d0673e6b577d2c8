import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

/**
 * The address of the client that sent the request: the socket's remote address under @hono/node-server; an
 * in-process `app.request()` has no socket, so it gives the `remoteAddress` of its bindings, else "unknown".
 */
export function clientAddress(c: Context): string {
  const env = c.env as { incoming?: unknown; server?: { incoming?: unknown }; remoteAddress?: unknown } | undefined;
  if (env?.incoming || env?.server?.incoming) return getConnInfo(c).remote.address ?? "unknown";
  return typeof env?.remoteAddress === "string" ? env.remoteAddress : "unknown";
}
