import ipaddr from "ipaddr.js";
import type { ServerConfig } from "./config.ts";
import { hostnameOf } from "./organization.ts";

/** Distinct request origins remembered: any client can send any Host, so they are bounded. */
const MAX_ORIGINS = 256;

/**
 * `scheme://host[:port]` under which clients reach organization `subdomain`: from the configured external URL
 * (behind a proxy the request's own URL is the proxy's), else from the request's Host, but only a Host this
 * server answers for (the root domain, one of its subdomains, a loopback name or address). Any other Host
 * gets the root domain: as in Zulip, a client cannot make the server name a host of its choosing. Each
 * distinct origin is worked out once: a URL object per request was a visible share of server_settings.
 */
export function publicOrigins(config: Pick<ServerConfig, "externalUrl" | "rootDomain">): (url: string, subdomain: string) => string {
  if (config.externalUrl) {
    const external = new URL(config.externalUrl);
    return (_url, subdomain) => `${external.protocol}//${subdomain ? `${subdomain}.` : ""}${external.host}`;
  }
  const root = hostnameOf(config.rootDomain);
  const known = new Map<string, string>();
  // `url`: the request's URL (or only its `scheme://host`), built from the Host header, which also names the subdomain.
  return (url, subdomain) => {
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const raw = pathStart < 0 ? url : url.slice(0, pathStart);
    // A foreign host's origin depends on the subdomain, which the Host header names and an absolute-form
    // request target's host need not match: both are the key.
    const key = `${raw}\u0000${subdomain}`;
    let origin = known.get(key);
    if (origin === undefined) {
      // Parsable: a Host the URL parser refuses is answered 400 before any route (parsable-host.ts).
      const parsed = new URL(url);
      const hostname = hostnameOf(parsed.host);
      origin =
        hostname === root || hostname.endsWith(`.${root}`) || isLoopback(hostname)
          ? `${parsed.protocol}//${hostname}${parsed.port ? `:${parsed.port}` : ""}`
          : `${parsed.protocol}//${subdomain ? `${subdomain}.` : ""}${config.rootDomain.toLowerCase()}`;
      if (known.size >= MAX_ORIGINS) known.clear();
      known.set(key, origin);
    }
    return origin;
  };
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1 (RFC 6761, RFC 1122). */
function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === "loopback";
}
