// Test servers that answer as a real production Zulip does, written from Zulip's source rather than from this
// project's server: Django's 405s and 404s, no Cache-Control on keys, a float Retry-After, a sliding-log rate
// limit per username string.
import type { FetchLike } from "../../src/checker/index.ts";

/** One account of a fake Zulip. */
export interface FakeAccount {
  email: string;
  password: string;
  userId: number;
  apiKey: string;
}

/** Which Zulip the fake is: 10.0 (feature level 371) or 8.4 (feature level 237: no realm_url). */
export interface FakeZulipOptions {
  version: "10.0" | "8.4";
  accounts: FakeAccount[];
  /** The clock, in milliseconds (the tests move it to expire attempts). */
  now?: () => number;
  /**
   * What the base URL names: one organization (the default); the root of a server with several organizations
   * and none at its root; or a root with ROOT_DOMAIN_LANDING_PAGE, as Zulip Cloud's.
   */
  root?: "organization" | "several-organizations" | "landing-page";
  /** A field a newer Zulip might add, in server_settings and in a success (clients ignore it). */
  extraField?: boolean;
  /**
   * Failed logins per client address in the window: a limit by address, as Zulip's own `api_by_ip` rule
   * (`zerver/lib/rate_limiter.py`, rate_limit_request_by_ip) or a proxy in front of Zulip may set.
   */
  addressLimit?: number;
}

const RATE_LIMIT = { attempts: 5, windowSeconds: 1800 };

/** A compact JSON answer with Zulip's trailing newline. */
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(`${JSON.stringify(body)}\n`, { status, headers: { "Content-Type": "application/json", ...headers } });

/** Django's HttpResponseNotAllowed: the given body (often none), text/html, and Allow. */
const notAllowed = (allow: string, body = "") => new Response(body, { status: 405, headers: { "Content-Type": "text/html; charset=utf-8", Allow: allow } });

/** Django's HTML 404 page of a production server. */
const notFound = () =>
  new Response(
    '<!doctype html>\n<html lang="en">\n<head><title>Not Found</title></head>\n<body><h1>Not Found</h1><p>The requested resource was not found on this server.</p></body>\n</html>\n',
    {
      status: 404,
      headers: { "Content-Type": "text/html; charset=utf-8" },
    },
  );

/** Django's EmailValidator, close enough for the checker's addresses: no spaces, one @, a dotted domain. */
const isEmail = (value: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

/** A fetch function answering as a production Zulip of the given version (at its root organization unless `root` says otherwise). */
export function fakeZulip(options: FakeZulipOptions): FetchLike {
  const now = options.now ?? Date.now;
  // zerver/lib/rate_limiter.py: the times of the last attempts per username string, as sent.
  const log = new Map<string, number[]>();
  const featureLevel = options.version === "10.0" ? 371 : 237;

  const root = options.root ?? "organization";
  // Failed logins of "this address" (the fake has one client), in the window.
  let addressLog: number[] = [];
  const recent = (username: string) => (log.get(username) ?? []).filter((t) => t > now() - RATE_LIMIT.windowSeconds * 1000);
  const rateHeaders = (username: string) => {
    const times = recent(username);
    return {
      "X-RateLimit-Limit": String(RATE_LIMIT.attempts),
      "X-RateLimit-Remaining": String(Math.max(0, RATE_LIMIT.attempts - times.length)),
      "X-RateLimit-Reset": String(Math.floor(now() / 1000) + RATE_LIMIT.windowSeconds),
    };
  };

  function settings(request: Request): Response {
    const origin = new URL(request.url).origin;
    // zerver/views/auth.py get_auth_backends_data: with ROOT_DOMAIN_LANDING_PAGE, the root has no organization.
    if (root === "landing-page") return json(400, { result: "error", msg: "Subdomain required", code: "BAD_REQUEST" });
    // get_server_settings: without an organization, its name, icon and description are left out.
    const organization =
      root === "organization"
        ? {
            realm_name: "Zulip Community",
            realm_icon: "https://secure.gravatar.com/avatar/3d4e6dd2bd8a7a5bd9e0c3c8d45e6c4f?d=identicon&version=1",
            realm_description: "<p>The Zulip community.</p>",
          }
        : {};
    return json(200, {
      result: "success",
      msg: "",
      authentication_methods: {
        password: true,
        dev: false,
        email: true,
        ldap: false,
        remoteuser: false,
        github: false,
        azuread: false,
        gitlab: false,
        apple: false,
        google: false,
        saml: false,
        "openid connect": false,
      },
      external_authentication_methods: [],
      zulip_feature_level: featureLevel,
      zulip_version: options.version,
      zulip_merge_base: options.version,
      push_notifications_enabled: true,
      is_incompatible: false,
      email_auth_enabled: true,
      require_email_format_usernames: true,
      realm_uri: origin,
      ...(featureLevel >= 257 ? { realm_url: origin } : {}),
      ...organization,
      realm_web_public_access_enabled: false,
      ...(options.extraField ? { zulip_future_setting: true } : {}),
    });
  }

  async function fetchApiKey(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const form = new Map<string, string>();
    const type = request.headers.get("content-type") ?? "";
    if (type.startsWith("application/x-www-form-urlencoded")) for (const [k, v] of new URLSearchParams(await request.text())) form.set(k, v);
    else if (type.startsWith("multipart/form-data")) for (const [k, v] of await request.formData()) form.set(k, String(v));
    const param = (name: string) => form.get(name) ?? url.searchParams.get(name) ?? undefined;
    const username = param("username");
    if (username === undefined)
      return json(400, { result: "error", msg: "Missing 'username' argument", var_name: "username", code: "REQUEST_VARIABLE_MISSING" });
    const password = param("password");
    if (password === undefined)
      return json(400, { result: "error", msg: "Missing 'password' argument", var_name: "password", code: "REQUEST_VARIABLE_MISSING" });
    // api_fetch_api_key: `if realm is None: raise InvalidSubdomainError`, before the email is validated.
    if (root !== "organization") return json(404, { result: "error", msg: "Invalid subdomain", code: "NONEXISTENT_SUBDOMAIN" });
    if (!isEmail(username)) return json(400, { result: "error", msg: "Enter a valid email address.", code: "BAD_REQUEST" });
    if (options.addressLimit !== undefined) {
      addressLog = addressLog.filter((t) => t > now() - RATE_LIMIT.windowSeconds * 1000);
      if (addressLog.length >= options.addressLimit) {
        const wait = (addressLog[addressLog.length - options.addressLimit]! + RATE_LIMIT.windowSeconds * 1000 - now()) / 1000;
        return json(
          429,
          { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": wait },
          {
            "Retry-After": String(wait),
            "X-RateLimit-Limit": String(options.addressLimit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": String(Math.floor(now() / 1000 + wait)),
          },
        );
      }
    }

    const times = recent(username);
    if (times.length >= RATE_LIMIT.attempts) {
      const wait = (times[times.length - RATE_LIMIT.attempts]! + RATE_LIMIT.windowSeconds * 1000 - now()) / 1000;
      return json(
        429,
        { result: "error", msg: "API usage exceeded rate limit", code: "RATE_LIMIT_HIT", "retry-after": wait },
        { "Retry-After": String(wait), ...rateHeaders(username), "X-RateLimit-Remaining": "0" },
      );
    }
    log.set(username, [...times, now()]);
    const headers = rateHeaders(username);
    const account = options.accounts.find((a) => a.email.toLowerCase() === username.toLowerCase());
    if (password === "" || !account || account.password !== password) {
      addressLog.push(now());
      return json(401, { result: "error", msg: "Your username or password is incorrect", code: "AUTHENTICATION_FAILED" }, headers);
    }
    log.delete(username);
    const used = new Set(["username", "password", "client"]);
    const ignored = [...new Set([...form.keys(), ...url.searchParams.keys()])].filter((k) => !used.has(k)).sort();
    return json(
      200,
      {
        result: "success",
        msg: "",
        api_key: account.apiKey,
        email: account.email,
        user_id: account.userId,
        ...(ignored.length > 0 ? { ignored_parameters_unsupported: ignored } : {}),
        ...(options.extraField ? { zulip_future_field: "x" } : {}),
      },
      rateHeaders(username),
    );
  }

  return async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/api/v1/server_settings") return request.method === "GET" || request.method === "HEAD" ? settings(request) : notAllowed("GET, HEAD");
    if (path === "/api/v1/fetch_api_key") {
      return request.method === "POST"
        ? fetchApiKey(request)
        : notAllowed("POST", JSON.stringify({ result: "error", msg: "Method Not Allowed", allowed_methods: ["POST"] }));
    }
    return notFound();
  };
}

/** The account the fake servers are checked with. */
export const FAKE_ACCOUNT: FakeAccount = {
  email: "iago@zulip.com",
  password: "correct-Horse-battery-9",
  userId: 5,
  apiKey: "gjA04ZYcqXKalvYMA8OeXSfzUOLrtbZv",
};
