import type { ClientError, TransportError, UnexpectedResponseError } from "../client/errors.ts";
import type { FetchApiKey, GetServerSettings } from "../contract/operations.ts";
import type { SiteCheckError } from "./login-site.ts";

/** What a message may name: the site, and the user and organization once known. */
export interface MessageContext {
  site: string;
  username?: string;
  organization?: string;
}

/** A sentence for a person about why the site cannot be logged in to. Never names a password or key. */
export function siteErrorMessage(error: SiteCheckError, ctx: MessageContext): string {
  if (isCommon(error)) return commonMessage(error, ctx);
  switch (error.code) {
    case "NOT_AN_ORGANIZATION":
      return `${ctx.site} hosts several organizations: log in with your organization's own address (e.g. https://<your-org>.${hostOf(ctx.site)})`;
    case "PASSWORD_LOGIN_DISABLED":
      return `password login is disabled in ${error.organization}: log in through the web app with one of its other methods`;
    case "BAD_REQUEST":
      return `there is no organization at ${ctx.site} (${error.msg})`;
    case "UNEXPECTED_RESPONSE":
      if (error.location) return `${ctx.site} redirects to ${siteFromLocation(error.location)}: use that address`;
      return `${ctx.site} is not a Zulip server: ${error.message}`;
    default:
      return unreachable(error);
  }
}

/** A sentence for a person about why fetch_api_key refused the login. Never names the password or a key. */
export function loginErrorMessage(error: ClientError<FetchApiKey>, ctx: MessageContext): string {
  const user = ctx.username ?? "this user";
  const org = ctx.organization ?? ctx.site;
  if (isCommon(error)) return commonMessage(error, ctx);
  switch (error.code) {
    case "AUTHENTICATION_FAILED":
      return `wrong username or password for ${org}`;
    case "PASSWORD_AUTH_DISABLED":
      return `password login is disabled in ${org}`;
    case "REALM_DEACTIVATED":
      return `the organization ${org} has been deactivated`;
    case "USER_DEACTIVATED":
      return `the account ${user} has been deactivated in ${org}`;
    case "PASSWORD_RESET_REQUIRED":
      return `the password of ${user} has been disabled and must be reset: use "Forgot your password?" on ${ctx.site}`;
    case "NONEXISTENT_SUBDOMAIN":
      return `${user} is not an account of ${org} (no such organization, or the account belongs to another organization on this server)`;
    case "BAD_REQUEST":
      return `the server refused the username ${JSON.stringify(user)}: ${error.msg}`;
    case "REQUEST_VARIABLE_MISSING":
      return `the server did not receive the ${error.var_name} (a proxy in between may have dropped the request body)`;
    case "RATE_LIMIT_HIT":
      return `too many login attempts for ${user}: try again in ${duration(error.retryAfter)}`;
    case "REQUEST_TOO_LARGE":
      return "the server refused the request as too large: the username or password is far too long";
    case "LDAP_UNAVAILABLE":
      return `${org} cannot reach its LDAP directory to check your password: try again in a few minutes`;
    case "UNEXPECTED_RESPONSE":
      return unexpectedLoginMessage(error, ctx);
    default:
      return unreachable(error);
  }
}

/** The failures every operation can meet, worded alike for each. */
type CommonError = TransportError | Extract<ClientError<GetServerSettings>, { code: "INTERNAL_SERVER_ERROR" | "SERVICE_UNAVAILABLE" }>;
const COMMON_CODES: ReadonlySet<string> = new Set<CommonError["code"]>(["INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "NETWORK_ERROR", "TIMEOUT", "ABORTED"]);

function isCommon<E extends { code: string }>(error: E): error is Extract<E, { code: CommonError["code"] }> {
  return COMMON_CODES.has(error.code);
}

function commonMessage(error: CommonError, ctx: MessageContext): string {
  switch (error.code) {
    case "INTERNAL_SERVER_ERROR":
      return `${ctx.site} had an internal error: try again later, or tell its administrators`;
    case "SERVICE_UNAVAILABLE":
      return `${ctx.site} is temporarily unavailable (a service it depends on does not answer): try again in a few minutes`;
    case "NETWORK_ERROR":
      return `could not reach ${ctx.site}: ${tlsFailure(error.cause, ctx.site) ?? error.message}`;
    case "TIMEOUT":
      return `${ctx.site} did not answer within ${duration(error.timeoutMs / 1000)}`;
    case "ABORTED":
      return "cancelled";
    default:
      return unreachable(error);
  }
}

function unexpectedLoginMessage(error: UnexpectedResponseError, ctx: MessageContext): string {
  if (error.location) return `${ctx.site} redirects the login to ${siteFromLocation(error.location)}: use that address`;
  return `${ctx.site} answered the login as no Zulip server does: ${error.message}${error.msg ? ` (${error.msg})` : ""}`;
}

/**
 * A TLS handshake failure in words, or undefined for any other network error. OpenSSL's own message is a
 * line of internal codes and source paths; "wrong version number" is what an https:// address of a server
 * that speaks plain HTTP gets.
 */
function tlsFailure(error: unknown, site: string): string | undefined {
  const cause = (error as { cause?: { code?: unknown; reason?: unknown } } | null)?.cause;
  if (typeof cause?.code !== "string" || !cause.code.startsWith("ERR_SSL_")) return undefined;
  if (cause.code === "ERR_SSL_WRONG_VERSION_NUMBER" && site.startsWith("https://"))
    return `it does not speak HTTPS on that port; if it serves plain HTTP, use ${site.replace(/^https:/, "http:")}`;
  return `the TLS handshake failed (${typeof cause.reason === "string" ? cause.reason : cause.code})`;
}

/** "45 seconds", "2 minutes", "30 minutes". */
export function duration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  return `${m} minutes`;
}

/** A redirect's target without the API path, i.e. the site address to use instead. */
function siteFromLocation(location: string): string {
  return location.replace(/\/api\/v1\/[a-z_]+\/?$/, "");
}

function hostOf(site: string): string {
  try {
    return new URL(site).host;
  } catch {
    return site;
  }
}

/** Makes a switch exhaustive: a new code in the contract stops this from compiling. */
function unreachable(value: never): never {
  throw new Error(`unhandled error ${JSON.stringify(value)}`);
}
