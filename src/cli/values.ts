import { isIP } from "node:net";
import { InvalidArgumentError } from "commander";
import { isHttp, parseUrl, safeUrl } from "../shared/url.ts";
import { UserError } from "./user-error.ts";

// Every parser of an option's or argument's value: a bad value is a usage error (commander prints the message
// and the command exits 2).

/**
 * The one on/off vocabulary of every option and environment variable that turns something on or off:
 * on, yes, true, 1 / off, no, false, 0 (any case); an empty value (an empty environment variable) is off.
 * Stricter than commander's boolean `.env()`, which would take ZULIP_AUTH_DEV=0 as on.
 */
export function onOff(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)?$/i.test(value)) return false;
  throw new InvalidArgumentError("expected 1, true, yes, on, 0, false, no or off");
}

// Number("") and Number(" ") are 0: blank text is no number.
const numberOf = (value: string): number => (value.trim() === "" ? Number.NaN : Number(value));

/** A whole number, 0 or more. */
export function wholeNumber(value: string): number {
  const n = numberOf(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number");
  return n;
}

/** A whole number above 0, of `unit` when given ("milliseconds"). */
export const positiveWholeNumber =
  (unit?: string) =>
  (value: string): number => {
    const n = numberOf(value);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a whole number ${unit ? `of ${unit} ` : ""}above 0`);
    return n;
  };

/** A TCP port, 0 (any free port) to 65535. */
export function port(value: string): number {
  const n = wholeNumber(value);
  if (n > 65535) throw new InvalidArgumentError("expected a port from 0 to 65535");
  return n;
}

/** A number of seconds above 0, fractions allowed. */
export function seconds(value: string): number {
  const n = numberOf(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number of seconds");
  return n;
}

/**
 * An http(s) origin: realm_url is `scheme://host[:port]`, so a path or query would be silently lost. One with
 * credentials is refused without them (commander's own message would quote the value).
 */
export const httpOrigin =
  (option: string) =>
  (value: string): string => {
    const url = parseUrl(value);
    if (!url) throw new InvalidArgumentError("expected an absolute URL such as https://chat.example.com");
    if (url.username || url.password) throw new UserError(`${option} must not hold a user or password: ${safeUrl(value)}`, 2);
    if (!isHttp(url) || url.pathname !== "/" || url.search || url.hash) {
      throw new InvalidArgumentError("expected http(s)://host[:port] with no path, query or credentials");
    }
    return url.origin;
  };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * A root domain as Zulip's EXTERNAL_HOST writes it: a host name, optionally with `:port`, and nothing else
 * (`https://chat.example.com/` would make realm_url `http://https://…`). Returned lower case.
 */
export function rootDomain(value: string): string {
  const m = /^([^:]*)(?::(\d{1,5}))?$/.exec(value);
  if (!m || !HOST_NAME.test(m[1]!) || (m[2] !== undefined && Number(m[2]) > 65535)) {
    throw new InvalidArgumentError("expected a host name with an optional port, such as chat.example.com or localhost:9991 (no scheme, path or spaces)");
  }
  return value.toLowerCase();
}

/** An address to listen on: an IPv4 or IPv6 address, or a host name (localhost). */
export function listenHost(value: string): string {
  if (isIP(value) || HOST_NAME.test(value)) return value;
  throw new InvalidArgumentError("expected an IP address such as 127.0.0.1, 0.0.0.0 or ::, or a host name");
}

/**
 * A service URL with one of `schemes` (`postgres:`, `redis:`…), or "" (an empty variable: none). A bad one is
 * a usage error told without its value, which may hold a password (commander's own message would quote it).
 */
export const serviceUrl =
  (option: string, schemes: readonly string[], example: string) =>
  (value: string): string => {
    if (value === "") return value;
    const url = parseUrl(value);
    if (url && schemes.includes(url.protocol) && url.hostname) return value;
    throw new UserError(`${option} must be a URL such as ${example}, not ${url ? safeUrl(value) : "that value"}`, 2);
  };
