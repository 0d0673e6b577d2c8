/** Distinct Host values remembered: any client can send any Host, so they are bounded. */
const MAX_HOSTS = 256;
const seen = new Map<string, boolean>();

/**
 * Whether a URL can be built on this Host header. Node and @hono/node-server let through some Hosts the URL
 * parser refuses (`xn--a`, `999.1.1.1`); the app would fail on them only once it builds the request's URL
 * (reading a body), as a 500. Each distinct Host is parsed once.
 */
export function isParsableHost(host: string): boolean {
  let ok = seen.get(host);
  if (ok === undefined) {
    ok = URL.canParse(`http://${host}/`);
    if (seen.size >= MAX_HOSTS) seen.clear();
    seen.set(host, ok);
  }
  return ok;
}

const hosts = new Map<string, string>();

/** A parsable Host as the URL parser writes it (lower case, no default port): the host of the request's URL. */
export function parsedHost(host: string): string {
  let parsed = hosts.get(host);
  if (parsed === undefined) {
    parsed = new URL(`http://${host}/`).host;
    if (hosts.size >= MAX_HOSTS) hosts.clear();
    hosts.set(host, parsed);
  }
  return parsed;
}
