import type { Context } from "hono";
import ipaddr from "ipaddr.js";
import type { ServerConfig } from "./config.ts";
import { hostnameOf } from "./organization.ts";

/**
 * `scheme://host[:port]` under which clients reach organisation `subdomain`: from the configured external URL
 * (behind a proxy the request's own URL is the proxy's), else from the request's Host, but only a Host this
 * server answers for (the root domain, one of its subdomains, a loopback name or address). Any other Host
 * gets the root domain: as in Zulip, a client cannot make the server name a host of its choosing.
 */
export function publicOrigin(c: Context, config: ServerConfig, subdomain: string): string {
  if (config.externalUrl) {
    const external = new URL(config.externalUrl);
    return `${external.protocol}//${subdomain ? `${subdomain}.` : ""}${external.host}`;
  }
  const url = new URL(c.req.url); // built from the Host header
  const hostname = hostnameOf(url.host);
  const root = hostnameOf(config.rootDomain);
  if (hostname === root || hostname.endsWith(`.${root}`) || isLoopback(hostname)) {
    return `${url.protocol}//${hostname}${url.port ? `:${url.port}` : ""}`;
  }
  return `${url.protocol}//${subdomain ? `${subdomain}.` : ""}${config.rootDomain.toLowerCase()}`;
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1 (RFC 6761, RFC 1122). */
function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return true;
  const bare = hostname.replace(/^\[(.*)\]$/, "$1");
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === "loopback";
}
