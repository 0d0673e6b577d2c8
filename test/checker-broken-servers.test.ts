import { describe, expect, it } from "vitest";
import type { FetchLike } from "../src/checker/index.ts";
import { apiPath, caught, check, createCheckedServer, findingIds, rewriteJson, wrap } from "./helpers/checker.ts";
import { createTestServer, USERS } from "./helpers/harness.ts";

const ours = async () => (await createCheckedServer()).app.fetch;
const isLogin = (r: Request) => r.method === "POST" && apiPath(r) === "/fetch_api_key";
const isFormLogin = (r: Request) => isLogin(r) && (r.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded");
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body) + "\n", { status, headers: { "content-type": "application/json", ...headers } });
/** A server whose server_settings (200) are rewritten by `change`. */
const withSettings = (inner: FetchLike, change: (body: Record<string, unknown>) => unknown) =>
  wrap(inner, async (r, forward) => {
    const res = await forward();
    return apiPath(r) === "/server_settings" && res.status === 200 ? rewriteJson(res, change) : res;
  });
const randomKey = () =>
  Array.from({ length: 32 }, () => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[Math.floor(Math.random() * 62)]).join("");
const KNOWN = new Set<string>(Object.values(USERS).map((u) => u.email));

interface Broken {
  /** What this server gets wrong. */
  name: string;
  build: () => Promise<FetchLike>;
  /** "<case id> <finding id>" pairs the checker must report. */
  expect: string[];
  /** Every finding id the report may hold: exactly these. */
  ids: string[];
  timeoutMs?: number;
  /** Checked with --strict: the server breaks one of zulip-auth's own promises, not Zulip's. */
  strict?: boolean;
  /** --failed-logins: more near-misses of the password. */
  failedLogins?: number;
}

const BROKEN: Broken[] = [
  {
    name: "a wrong status: success answered 201",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, (b) => b, { status: 201 }) : res;
      }),
    expect: ["fetch-api-key.success status-undeclared", "fetch-api-key.success unexpected-status"],
    ids: ["status-undeclared", "unexpected-status"],
  },
  {
    name: "a missing field: no user_id",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, ({ user_id: _, ...b }) => b) : res;
      }),
    expect: ["fetch-api-key.success body-schema", "fetch-api-key.identity unexpected-value"],
    ids: ["body-schema", "unexpected-value"],
  },
  {
    name: "a wrong type: user_id as a string",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, (b) => ({ ...b, user_id: String(b.user_id) })) : res;
      }),
    expect: ["fetch-api-key.success body-schema", "fetch-api-key.identity unexpected-value"],
    ids: ["body-schema", "unexpected-value"],
  },
  {
    name: "an extra property in the success body (strict: the Zulip level lists it as an advisory)",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, (b) => ({ ...b, session_id: "s-1" })) : res;
      }),
    expect: ["fetch-api-key.success body-unexpected-property", "fetch-api-key.case-insensitive body-unexpected-property"],
    ids: ["body-unexpected-property"],
    strict: true,
  },
  {
    name: "a wrong content type: errors sent as text/plain",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        return res.status >= 400 ? rewriteJson(res, (b) => b, { headers: { "content-type": "text/plain" } }) : res;
      }),
    expect: [
      "fetch-api-key.wrong-password content-type-undeclared",
      "fetch-api-key.missing-username content-type-undeclared",
      "fetch-api-key.rate-limit content-type-undeclared",
    ],
    ids: ["content-type-undeclared"],
  },
  {
    name: "a missing header: a key answer without Cache-Control: no-store",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        return res.status === 200 ? rewriteJson(res, (b) => b, { headers: { "cache-control": null } }) : res;
      }),
    expect: ["fetch-api-key.success header-missing", "fetch-api-key.case-insensitive header-missing"],
    ids: ["header-missing"],
    strict: true,
  },
  {
    name: "a 405 without Allow",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        return res.status === 405 ? rewriteJson(res, (b) => b, { headers: { allow: null } }) : res;
      }),
    expect: [
      "fetch-api-key.get-not-allowed header-missing",
      "dev-fetch-api-key.get-not-allowed header-missing",
      "server-settings.post-not-allowed header-missing",
    ],
    ids: ["header-missing"],
  },
  {
    name: "different answers for an unknown user and a wrong password",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const username = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("username") : null;
        const res = await forward();
        if (res.status !== 401 || username === null || KNOWN.has(username)) return res;
        return rewriteJson(res, (b) => ({ ...b, msg: "There is no account with this email address" }));
      }),
    expect: ["fetch-api-key.unknown-user account-enumeration"],
    ids: ["account-enumeration"],
  },
  {
    name: "a key that changes between calls",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, (b) => ({ ...b, api_key: randomKey() })) : res;
      }),
    expect: ["property.identity-stable identity-changed"],
    ids: ["identity-changed"],
  },
  {
    name: "HTML error pages",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        if (res.status < 400) return res;
        return new Response(`<!DOCTYPE html><html><body><h1>${res.status} Error</h1></body></html>`, {
          status: res.status,
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      }),
    // A text/html 405 is Zulip's own (an advisory); the rest of these pages break the protocol.
    expect: [
      "fetch-api-key.wrong-password content-type-undeclared",
      "fetch-api-key.wrong-password unexpected-value",
      "fetch-api-key.get-not-allowed header-missing",
      "fetch-api-key.missing-username content-type-undeclared",
    ],
    ids: ["content-type-undeclared", "header-missing", "unexpected-value"],
  },
  {
    name: "an HTML page labelled application/json",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        if (res.status !== 405) return res;
        return new Response("<html><body>Method Not Allowed</body></html>", {
          status: 405,
          headers: { "content-type": "application/json", allow: res.headers.get("allow") ?? "" },
        });
      }),
    expect: ["fetch-api-key.get-not-allowed body-not-json", "fetch-api-key.get-not-allowed unexpected-value", "property.readable-bytes bytes-unreadable"],
    ids: ["body-not-json", "bytes-unreadable", "unexpected-value"],
  },
  {
    name: "a 500 on multipart bodies",
    build: async () =>
      wrap(await ours(), async (r, forward) =>
        (r.headers.get("content-type") ?? "").startsWith("multipart/form-data")
          ? json(500, { result: "error", msg: "Internal server error", code: "INTERNAL_SERVER_ERROR" })
          : forward(),
      ),
    expect: ["fetch-api-key.multipart unexpected-status"],
    ids: ["unexpected-status"],
  },
  {
    name: "the dev endpoint open on a server that says it is in production",
    build: async () =>
      wrap((await createCheckedServer({ config: { devMode: true } })).app.fetch, async (r, forward) => {
        const res = await forward();
        if (apiPath(r) !== "/server_settings" || res.status !== 200) return res;
        return rewriteJson(res, (b) => ({ ...b, authentication_methods: { ...(b.authentication_methods as object), dev: false } }));
      }),
    expect: ["dev-fetch-api-key.production-refuses dev-login-open"],
    ids: ["dev-login-open"],
  },
  {
    name: "no rate limit",
    build: async () => (await createTestServer()).app.fetch,
    expect: ["fetch-api-key.rate-limit rate-limit-missing"],
    ids: ["rate-limit-missing"],
  },
  {
    name: "a rate limit after 3 attempts instead of 5",
    build: async () => (await createTestServer({ limits: { userAddress: { attempts: 3, windowSeconds: 1800 } } })).app.fetch,
    expect: ["fetch-api-key.rate-limit unexpected-status"],
    ids: ["unexpected-status"],
  },
  {
    name: "a 429 without Retry-After and X-RateLimit-* headers",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        if (res.status !== 429) return res;
        return rewriteJson(res, (b) => b, {
          headers: { "retry-after": null, "x-ratelimit-limit": null, "x-ratelimit-remaining": null, "x-ratelimit-reset": null },
        });
      }),
    expect: ["fetch-api-key.rate-limit header-missing"],
    ids: ["header-missing"],
  },
  {
    name: "a JSON body read as parameters",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        if (!(r.headers.get("content-type") ?? "").startsWith("application/json")) return forward();
        const fields = (await r.json()) as Record<string, string>;
        return forward(
          new Request(r.url, {
            method: r.method,
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: new URLSearchParams(fields).toString(),
          }),
        );
      }),
    expect: ["fetch-api-key.json-body unexpected-status"],
    ids: ["unexpected-status"],
  },
  {
    name: "unused parameters not listed",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, ({ ignored_parameters_unsupported: _, ...b }) => b) : res;
      }),
    expect: ["fetch-api-key.ignored-parameters unexpected-value"],
    ids: ["unexpected-value"],
  },
  {
    name: "the wrong var_name for a missing password",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        return res.status === 400 ? rewriteJson(res, (b) => (b.var_name === "password" ? { ...b, var_name: "pass" } : b)) : res;
      }),
    expect: ["fetch-api-key.missing-password unexpected-value"],
    ids: ["unexpected-value"],
  },
  {
    name: "realm_uri different from realm_url",
    build: async () => withSettings(await ours(), (b) => ({ ...b, realm_uri: "http://elsewhere.example" })),
    expect: ["server-settings.conforms unexpected-value"],
    ids: ["unexpected-value"],
  },
  {
    name: "server_settings refusing a request with an Authorization header",
    build: async () =>
      wrap(await ours(), async (r, forward) =>
        r.headers.has("authorization") ? json(401, { result: "error", msg: "Invalid API key", code: "INVALID_API_KEY" }) : forward(),
      ),
    expect: ["server-settings.with-authorization status-undeclared", "server-settings.with-authorization unexpected-status"],
    ids: ["status-undeclared", "unexpected-status"],
  },
  {
    name: "parameters in the query string ignored",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const url = new URL(r.url);
        if (url.search === "") return forward();
        url.search = "";
        return forward(new Request(url, r));
      }),
    expect: ["fetch-api-key.query-string unexpected-status", "fetch-api-key.ignored-parameters unexpected-value"],
    ids: ["unexpected-status", "unexpected-value"],
  },
  {
    name: "no answer to GET fetch_api_key",
    build: async () =>
      wrap(await ours(), async (r, forward) => (r.method === "GET" && apiPath(r) === "/fetch_api_key" ? new Promise<Response>(() => {}) : forward())),
    expect: ["fetch-api-key.get-not-allowed request-failed"],
    ids: ["request-failed"],
    // Every request of the run has this timeout, not only the hanging one: room for a loaded machine.
    timeoutMs: 2_000,
  },
  {
    name: "a case-sensitive email lookup (Zulip compares emails without case)",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const username = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("username") : null;
        if (username !== null && username !== username.toLowerCase())
          return json(401, { result: "error", msg: "Your username or password is incorrect", code: "AUTHENTICATION_FAILED" });
        return forward();
      }),
    expect: ["fetch-api-key.case-insensitive unexpected-status"],
    ids: ["unexpected-status"],
  },
  {
    name: "the typed email echoed instead of the stored one",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const username = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("username") : null;
        const res = await forward();
        return res.status === 200 && username !== null ? rewriteJson(res, (b) => ({ ...b, email: username })) : res;
      }),
    // The second login's email differs from the first's: the identity is not stable either.
    expect: ["fetch-api-key.case-insensitive unexpected-value", "property.identity-stable identity-changed"],
    ids: ["identity-changed", "unexpected-value"],
  },
  {
    name: "ids of the wrong JSON type: user_id and zulip_feature_level as strings",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const res = await forward();
        if (res.status !== 200) return res;
        if (isLogin(r)) return rewriteJson(res, (b) => ({ ...b, user_id: `${String(b.user_id)}` }));
        return apiPath(r) === "/server_settings" ? rewriteJson(res, (b) => ({ ...b, zulip_feature_level: String(b.zulip_feature_level) })) : res;
      }),
    expect: ["server-settings.conforms body-schema", "fetch-api-key.success body-schema", "fetch-api-key.identity unexpected-value"],
    ids: ["body-schema", "unexpected-value"],
  },
  {
    name: "a relative realm_url (clients need an absolute one)",
    build: async () => withSettings(await ours(), (b) => ({ ...b, realm_url: "/", realm_uri: "/" })),
    expect: ["server-settings.conforms body-schema"],
    ids: ["body-schema"],
  },
  {
    name: "the password echoed in the success answer",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const password = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("password") : null;
        const res = await forward();
        return res.status === 200 && password !== null ? rewriteJson(res, (b) => ({ ...b, msg: `Logged in with ${password}` })) : res;
      }),
    expect: ["property.nothing-echoed credential-echoed", "fetch-api-key.success body-schema"],
    ids: ["body-schema", "credential-echoed"],
  },
  {
    name: "an integer Retry-After promise broken (strict): a float header",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        return res.status === 429 ? rewriteJson(res, (b) => b, { headers: { "retry-after": "1799.25" } }) : res;
      }),
    expect: ["fetch-api-key.rate-limit header-invalid"],
    ids: ["header-invalid"],
    strict: true,
  },
  // One server per property (docs/checker.md, "Properties"): each breaks only that property.
  {
    name: "property identity-stable: user_id changes between two logins (the key stays)",
    build: async () => {
      let logins = 0;
      return wrap(await ours(), async (r, forward) => {
        const res = await forward();
        return res.status === 200 && isLogin(r) ? rewriteJson(res, (b) => ({ ...b, user_id: Number(b.user_id) + logins++ })) : res;
      });
    },
    expect: ["property.identity-stable identity-changed"],
    ids: ["identity-changed"],
  },
  {
    name: "property readable-bytes: a UTF-8 byte order mark before the JSON of every error",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        if (res.status < 400 || !(res.headers.get("content-type") ?? "").startsWith("application/json")) return res;
        const body = new Uint8Array(await res.arrayBuffer());
        return new Response(new Uint8Array([0xef, 0xbb, 0xbf, ...body]), { status: res.status, headers: res.headers });
      }),
    expect: ["property.readable-bytes bytes-unreadable"],
    ids: ["bytes-unreadable"],
  },
  {
    name: "property readable-bytes: a refusal's msg in Latin-1 bytes, labelled JSON (not valid UTF-8)",
    build: async () =>
      wrap(await ours(), async (_r, forward) => {
        const res = await forward();
        if (res.status !== 401) return res;
        const text = (await res.text()).replace("incorrect", "incorrect \u00e9");
        const bytes = Uint8Array.from([...JSON.stringify(JSON.parse(text))].map((c) => c.charCodeAt(0) & 0xff));
        return new Response(bytes, { status: 401, headers: res.headers });
      }),
    expect: ["property.readable-bytes bytes-unreadable"],
    ids: ["bytes-unreadable"],
  },
  {
    name: "property only-POST: GET reads the credentials from the query string and logs in",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const url = new URL(r.url);
        if (r.method !== "GET" || apiPath(r) !== "/fetch_api_key" || !url.searchParams.has("username")) return forward();
        return forward(
          new Request(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: url.searchParams.toString() }),
        );
      }),
    expect: ["fetch-api-key.get-not-allowed login-not-post"],
    ids: ["login-not-post"],
  },
  {
    name: "property only-POST: PUT is taken as a login",
    build: async () =>
      wrap(await ours(), async (r, forward) =>
        r.method === "PUT" && apiPath(r) === "/fetch_api_key"
          ? forward(new Request(r.url, { method: "POST", headers: r.headers, body: await r.text() }))
          : forward(),
      ),
    expect: ["fetch-api-key.get-not-allowed login-not-post"],
    ids: ["login-not-post"],
  },
  {
    name: "property nothing-echoed: a throwaway's username in its refusal (both refusals name the username)",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const username = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("username") : null;
        const res = await forward();
        return res.status === 401 && username ? rewriteJson(res, (b) => ({ ...b, msg: `Wrong password for ${username}` })) : res;
      }),
    // The refusals differ by the username they name: enumeration too.
    expect: ["property.nothing-echoed credential-echoed"],
    ids: ["account-enumeration", "credential-echoed"],
  },
  {
    name: "property unknown-user (uniform refusals): an unknown user's refusal lacks the X-RateLimit-* headers",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const username = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("username") : null;
        const res = await forward();
        if (res.status !== 401 || username === null || KNOWN.has(username)) return res;
        return rewriteJson(res, (b) => b, { headers: { "x-ratelimit-limit": null, "x-ratelimit-remaining": null, "x-ratelimit-reset": null } });
      }),
    expect: ["fetch-api-key.unknown-user account-enumeration"],
    ids: ["account-enumeration"],
  },
  {
    name: "property unknown-user (uniform refusals): the rate-limit headers count an unknown user apart",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        const username = isLogin(r) ? new URLSearchParams(await r.clone().text()).get("username") : null;
        const res = await forward();
        if (res.status !== 401 || username === null || KNOWN.has(username)) return res;
        return rewriteJson(res, (b) => b, { headers: { "x-ratelimit-remaining": "0" } });
      }),
    expect: ["fetch-api-key.unknown-user account-enumeration"],
    ids: ["account-enumeration"],
  },
  {
    name: "property wrong-password (exact passwords): only the password's first characters are compared",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        if (!isFormLogin(r)) return forward();
        const form = new URLSearchParams(await r.text());
        if (form.get("password")?.startsWith(USERS.iago.password)) form.set("password", USERS.iago.password);
        return forward(new Request(r.url, { method: "POST", headers: r.headers, body: form.toString() }));
      }),
    expect: ["fetch-api-key.wrong-password password-not-exact"],
    // The run's second login is not made: the near-miss spent it.
    ids: ["password-not-exact"],
  },
  {
    name: "property wrong-password (exact passwords, --failed-logins 2): passwords compared without case",
    build: async () =>
      wrap(await ours(), async (r, forward) => {
        if (!isFormLogin(r)) return forward();
        const form = new URLSearchParams(await r.text());
        if (form.get("password")?.toLowerCase() === USERS.iago.password.toLowerCase()) form.set("password", USERS.iago.password);
        return forward(new Request(r.url, { method: "POST", headers: r.headers, body: form.toString() }));
      }),
    expect: ["fetch-api-key.wrong-password password-not-exact"],
    ids: ["password-not-exact"],
    failedLogins: 2,
  },
  {
    name: "property consistent settings: a password form promised while authentication_methods.password is false",
    build: async () => withSettings(await ours(), (b) => ({ ...b, authentication_methods: { ...(b.authentication_methods as object), password: false } })),
    expect: ["server-settings.consistent settings-contradict"],
    ids: ["settings-contradict"],
  },
  {
    name: "property consistent settings: a release that advertises development login",
    build: async () => withSettings(await ours(), (b) => ({ ...b, authentication_methods: { ...(b.authentication_methods as object), dev: true } })),
    expect: ["server-settings.consistent settings-contradict"],
    ids: ["settings-contradict"],
  },
  {
    name: "a release that advertises development login and serves it: dev_fetch_api_key must still refuse",
    build: async () => withSettings((await createCheckedServer({ config: { devMode: true } })).app.fetch, (b) => ({ ...b, zulip_version: "10.0" })),
    expect: ["server-settings.consistent settings-contradict", "dev-fetch-api-key.production-refuses dev-login-open"],
    ids: ["dev-login-open", "settings-contradict"],
  },
];

describe("zulip-auth check catches deliberately broken servers", () => {
  it("has at least 12 of them, and one for each property", () => {
    expect(BROKEN.length).toBeGreaterThanOrEqual(12);
    const properties = [
      "identity-changed",
      "bytes-unreadable",
      "login-not-post",
      "credential-echoed",
      "account-enumeration",
      "password-not-exact",
      "settings-contradict",
    ];
    for (const id of properties)
      expect(
        BROKEN.some((b) => b.ids.includes(id)),
        id,
      ).toBe(true);
  });

  it.each(BROKEN)("$name", async ({ build, expect: pairs, ids, timeoutMs, strict, failedLogins }) => {
    const report = await check(await build(), {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(strict ? { strict } : {}),
      ...(failedLogins === undefined ? {} : { failedLogins }),
    });
    expect(report.status).toBe("violations");
    expect(caught(report)).toEqual(expect.arrayContaining(pairs));
    expect(findingIds(report), caught(report).join(", ")).toEqual([...ids].sort());
    // Every finding carries its evidence.
    for (const f of report.cases.flatMap((c) => c.findings)) {
      expect(f.repro).toMatch(/^curl -sS -i /);
      expect(f.specFile).toBe("openapi/zulip-auth.yaml");
      expect(f.specPointer).toMatch(/^#\//);
      expect(f.specLine).toBeGreaterThan(0);
    }
  });
});
