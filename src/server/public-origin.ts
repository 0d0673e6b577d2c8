import type { Context } from "hono";
import type { ServerConfig } from "./config.ts";

/** Distinct request origins remembered: any client can send any Host, so they are bounded. */
const MAX_ORIGINS = 256;

/**
 * `scheme://host[:port]` under which clients reach organisation `subdomain`: from the configured external URL
 * (behind a proxy the request's own URL is the proxy's), else from the request's Host. Each distinct origin is
 * parsed once: a URL object per request was a visible share of server_settings.
 */
export function publicOrigins(config: Pick<ServerConfig, "externalUrl">): (c: Context, subdomain: string) => string {
  if (config.externalUrl) {
    const external = new URL(config.externalUrl);
    return (_c, subdomain) => `${external.protocol}//${subdomain ? `${subdomain}.` : ""}${external.host}`;
  }
  const known = new Map<string, string>();
  return (c) => {
    const url = c.req.url; // built from the scheme and the Host header
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const raw = pathStart < 0 ? url : url.slice(0, pathStart);
    let origin = known.get(raw);
    if (origin === undefined) {
      const parsed = new URL(url);
      origin = `${parsed.protocol}//${parsed.host}`;
      if (known.size >= MAX_ORIGINS) known.clear();
      known.set(raw, origin);
    }
    return origin;
  };
}
