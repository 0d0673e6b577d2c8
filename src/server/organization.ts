import type { Context } from "hono";
import type { AppEnv } from "./deps.ts";
import { requestHeader } from "./request-header.ts";

/** Subdomains that name the root organization, as Zulip's ROOT_SUBDOMAIN_ALIASES. */
const ROOT_ALIASES = new Set(["www"]);

/**
 * The organization's subdomain named by a Host header: `<sub>.<root domain>` gives `sub`; the root domain,
 * and any host not under it (an IP address, localhost), give the root organization "".
 */
export function subdomainFromHost(host: string | undefined, rootDomain: string): string {
  const hostname = hostnameOf(host);
  const root = stripPort(rootDomain.toLowerCase());
  if (!hostname.endsWith(`.${root}`)) return "";
  const subdomain = hostname.slice(0, -root.length - 1);
  return ROOT_ALIASES.has(subdomain) ? "" : subdomain;
}

/** The Host's name, lower case, without port or the trailing dot of a fully qualified name (`corp.zulip.test.`). */
export function hostnameOf(host: string | undefined): string {
  return stripPort((host ?? "").trim().toLowerCase()).replace(/\.$/, "");
}

function stripPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon >= 0 && host.indexOf(":") === colon ? host.slice(0, colon) : host;
}

/** The subdomain a request names, noted on the context for the access log. */
export function requestSubdomain(c: Context<AppEnv>, rootDomain: string): string {
  const subdomain = subdomainFromHost(requestHeader(c, "host"), rootDomain);
  c.set("organization", subdomain);
  return subdomain;
}
