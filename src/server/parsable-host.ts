/** Distinct Host values remembered: any client can send any Host, so they are bounded. */
const MAX_HOSTS = 256;
const seen = new Map<string, boolean>();

/** Django's `host_validation_re` (what Zulip answers 400 for): a name or a bracketed IPv6 address, and a port. */
const DJANGO_HOST = /^([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(:[0-9]+)?$/i;

/**
 * Whether a Host header is one Zulip (Django) accepts and a URL can be built on: the one Host check, for the
 * edge's rows and the app's routes alike. Django refuses user info (`a@chat.example.com`), a path
 * (`chat.example.com/x`) and any character outside names; Node and @hono/node-server let through some Hosts
 * the URL parser refuses (`xn--a`, `999.1.1.1`), on which the app would fail once it builds the request's URL,
 * as a 500. Each distinct Host is checked once.
 */
export function isParsableHost(host: string): boolean {
  let ok = seen.get(host);
  if (ok === undefined) {
    ok = DJANGO_HOST.test(host) && URL.canParse(`http://${host}/`);
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
