import type { Context } from "hono";
import type { ServerConfig } from "./config.ts";

/**
 * `scheme://host[:port]` under which clients reach organisation `subdomain`: from the configured external URL
 * (behind a proxy the request's own URL is the proxy's), else from the request's Host.
 */
export function publicOrigin(c: Context, config: ServerConfig, subdomain: string): string {
  if (config.externalUrl) {
    const external = new URL(config.externalUrl);
    return `${external.protocol}//${subdomain ? `${subdomain}.` : ""}${external.host}`;
  }
  const url = new URL(c.req.url); // built from the Host header
  return `${url.protocol}//${url.host}`;
}
