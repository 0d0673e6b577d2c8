import { API_BASE_PATH } from "../contract/locations.ts";
import { isHttp, parseUrl } from "../shared/url.ts";

/**
 * A Zulip site URL as people write it ("https://chat.example.com", with or without a trailing slash),
 * normalised to scheme, host and path without a trailing slash. Throws a TypeError on a URL no Zulip site
 * can have: that is a programming or usage error, not an answer from a server.
 */
export function normalizeSite(site: string | URL): string {
  const url = parseUrl(site);
  if (!url) throw new TypeError(`not a URL: ${JSON.stringify(String(site))}`);
  if (!isHttp(url)) throw new TypeError(`not an http(s) URL: ${url.protocol}//…`);
  // Credentials in the URL would be sent nowhere (fetch refuses them) and end up in messages: refuse them.
  if (url.username || url.password) throw new TypeError("the site URL must not contain a user name or password");
  if (url.search || url.hash) throw new TypeError("the site URL must not have a query string or fragment");
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** The root of a site's API: the site URL followed by /api/v1. */
export function apiRoot(site: string | URL): string {
  return `${normalizeSite(site)}${API_BASE_PATH}`;
}
