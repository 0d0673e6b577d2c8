import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type ClientError, createZulipAuthClient } from "../src/client/index.ts";
import { USERS } from "./helpers/harness.ts";
import { type HttpServer, serveOverHttp, staticHandler } from "./helpers/http.ts";
import { scriptedLimiter } from "./helpers/limiter.ts";
import { DEV_FETCH_API_KEY_ERRORS, FETCH_API_KEY_ERRORS, healthy, type Scenario, scenario } from "./helpers/scenarios.ts";

// Every server a test starts is closed afterwards; the answers of our server are checked against the contract.
const open: HttpServer[] = [];
const track = <T extends { http: HttpServer } | HttpServer>(s: T): T => {
  open.push("http" in s ? s.http : s);
  return s;
};
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
const expectConformant = (http: HttpServer, count: number) => {
  expect(http.answers).toHaveLength(count);
  for (const a of http.answers) expect(a.violations, `${a.operationId} ${a.status}`).toEqual([]);
};

const { iago } = USERS;
const clientFor = (s: Scenario, options: Partial<Parameters<typeof createZulipAuthClient>[0]> = {}) =>
  createZulipAuthClient({ baseUrl: s.http.url, ...options });

describe("the client against our server over real HTTP: success", () => {
  it("fetchApiKey returns the user's key, sent as an urlencoded form; a trailing slash on the site is fine", async () => {
    const s = track(await healthy());
    const client = createZulipAuthClient({ baseUrl: `${s.http.url}/` });
    expect(client.apiUrl).toBe(`${s.http.url}/api/v1`);
    const { data, error, response } = await client.fetchApiKey({ username: iago.email, password: iago.password });
    expect(error).toBeUndefined();
    const stored = await s.server.admin.user("", iago.email);
    expect(data).toEqual({ result: "success", msg: "", api_key: stored.api_key, email: iago.email, user_id: stored.id });
    expect(response?.status).toBe(200);
    expect(s.http.answers[0]!.requestContentType).toBe("application/x-www-form-urlencoded");
    expectConformant(s.http, 1);
  });

  it("sends passwords with form-special characters intact", async () => {
    const password = "p&ss=w+rd %20 ü 🔑";
    const s = track(await scenario("amp@zulip.com", password, async (t) => void (await t.admin.createUser("", "amp@zulip.com", password))));
    const { data } = await clientFor(s).fetchApiKey({ username: "amp@zulip.com", password });
    expect(data?.email).toBe("amp@zulip.com");
    expectConformant(s.http, 1);
  });

  it("devFetchApiKey returns any user's key on a development server", async () => {
    const s = track(await healthy());
    const { data } = await clientFor(s).devFetchApiKey({ username: iago.email });
    expect(data?.api_key).toBe((await s.server.admin.user("", iago.email)).api_key);
    expectConformant(s.http, 1);
  });

  it("serverSettings returns the organization's settings", async () => {
    const s = track(await healthy());
    const { data } = await clientFor(s).serverSettings();
    expect(data).toMatchObject({ result: "success", realm_name: "Zulip Dev", realm_url: s.http.url, email_auth_enabled: true });
    expect(data?.authentication_methods.password).toBe(true);
    expectConformant(s.http, 1);
  });

  it("works on an injected fetch too (here the in-process app, no socket)", async () => {
    const s = track(await healthy());
    const client = createZulipAuthClient({ baseUrl: "http://zulip.test", fetch: async (r) => s.server.app.fetch(r) });
    const { data } = await client.fetchApiKey({ username: iago.email, password: iago.password });
    expect(data?.api_key).toBe((await s.server.admin.user("", iago.email)).api_key);
  });
});

describe("every error code of fetch_api_key, as a value discriminated by code", () => {
  it.each(Object.entries(FETCH_API_KEY_ERRORS))("%s", async (code, setup) => {
    const s = track(await setup());
    const { data, error, response } = await clientFor(s).fetchApiKey({ username: s.username, password: s.password });
    expect(data).toBeUndefined();
    expect(error).toMatchObject({ kind: "zulip", code, result: "error", status: response?.status });
    expect(typeof (error as { msg?: unknown }).msg).toBe("string");
    expectConformant(s.http, 1);
    if (error?.code === "RATE_LIMIT_HIT") {
      // The window opened a moment ago: nearly all of its 1800 s remain.
      expect(error.retryAfter).toBeGreaterThan(1790);
      expect(error.retryAfter).toBeLessThanOrEqual(1800);
      expect(error.status).toBe(429);
    }
    if (error?.code === "REQUEST_VARIABLE_MISSING") expect(error.var_name).toBe("username");
  });
});

describe("every error code of dev_fetch_api_key", () => {
  it.each(Object.entries(DEV_FETCH_API_KEY_ERRORS))("%s", async (code, setup) => {
    const s = track(await setup());
    const { data, error, response } = await clientFor(s).devFetchApiKey({ username: s.username });
    expect(data).toBeUndefined();
    expect(error).toMatchObject({ kind: "zulip", code, status: response?.status });
    expectConformant(s.http, 1);
  });
});

describe("every error code of server_settings", () => {
  it("BAD_REQUEST for a Host naming no organization", async () => {
    const s = track(await healthy({}));
    const other = track(await serveOverHttp(s.server.app.fetch, { host: "nope.zulip.test" }));
    const { error } = await createZulipAuthClient({ baseUrl: other.url }).serverSettings();
    expect(error).toMatchObject({ kind: "zulip", code: "BAD_REQUEST", status: 400, msg: "Invalid subdomain" });
    expectConformant(other, 1);
  });

  it("INTERNAL_SERVER_ERROR when the server's store fails", async () => {
    const s = track(await healthy());
    await s.server.store.close();
    const { error } = await clientFor(s).serverSettings();
    expect(error).toMatchObject({ kind: "zulip", code: "INTERNAL_SERVER_ERROR", status: 500 });
    expectConformant(s.http, 1);
  });
});

/** A TCP server that accepts connections and never answers. */
async function silentServer(): Promise<{ url: string; received: () => Promise<void>; close: () => Promise<void> }> {
  const sockets = new Set<import("node:net").Socket>();
  let heard: (() => void)[] = [];
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", () => {
      for (const resolve of heard) resolve();
      heard = [];
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Resolves when the next bytes of a request arrive. */
    received: () => new Promise((resolve) => heard.push(resolve)),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe("no answer: network errors, timeouts and aborts are told apart from server answers", () => {
  it("NETWORK_ERROR when nothing listens", async () => {
    const gone = await serveOverHttp(staticHandler(200, "text/plain", ""));
    await gone.close();
    const { error, response } = await createZulipAuthClient({ baseUrl: gone.url }).serverSettings();
    expect(error).toMatchObject({ kind: "transport", code: "NETWORK_ERROR" });
    expect(error?.code === "NETWORK_ERROR" && error.message).toMatch(/ECONNREFUSED/);
    expect(response).toBeUndefined();
  });

  it("TIMEOUT when the server does not answer in time", async () => {
    const silent = await silentServer();
    try {
      const started = Date.now();
      const { error } = await createZulipAuthClient({ baseUrl: silent.url, timeoutMs: 300 }).fetchApiKey({ username: iago.email, password: "x" });
      expect(error).toMatchObject({ kind: "transport", code: "TIMEOUT", timeoutMs: 300 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      await silent.close();
    }
  });

  it("ABORTED when the caller's signal fires, before or during the request; a per-call timeout overrides", async () => {
    const silent = await silentServer();
    try {
      const client = createZulipAuthClient({ baseUrl: silent.url, timeoutMs: 60_000 });
      const reason = new Error("user left");
      const { error: before } = await client.serverSettings({ signal: AbortSignal.abort(reason) });
      expect(before).toMatchObject({ kind: "transport", code: "ABORTED", reason });

      // Aborted once the server has the request: the client is waiting for its answer.
      const controller = new AbortController();
      void silent.received().then(() => controller.abort());
      const { error: during } = await client.serverSettings({ signal: controller.signal });
      expect(during).toMatchObject({ kind: "transport", code: "ABORTED" });

      const unbounded = createZulipAuthClient({ baseUrl: silent.url, timeoutMs: Number.POSITIVE_INFINITY });
      const { error: noTimeout } = await unbounded.serverSettings({ signal: AbortSignal.timeout(150) });
      expect(noTimeout).toMatchObject({ code: "ABORTED" });

      const { error: timedOut } = await client.serverSettings({ timeoutMs: 100, signal: new AbortController().signal });
      expect(timedOut).toMatchObject({ code: "TIMEOUT", timeoutMs: 100 });
    } finally {
      await silent.close();
    }
  });
});

describe("answers that are not Zulip's are UNEXPECTED_RESPONSE (and the contract's validator agrees)", () => {
  const cases: [string, ReturnType<typeof staticHandler>, RegExp][] = [
    ["an HTML page with 200", staticHandler(200, "text/html", "<!doctype html><title>Welcome</title>"), /not a Zulip JSON answer/],
    ["an HTML 502 from a proxy", staticHandler(502, "text/html", "<html>Bad Gateway</html>"), /not a Zulip JSON answer/],
    ["JSON without Zulip's envelope", staticHandler(200, "application/json", '{"status":"ok"}'), /lacks fields|envelope/],
    [
      "a code this operation does not declare",
      staticHandler(401, "application/json", '{"result":"error","msg":"Invalid API key","code":"INVALID_API_KEY"}\n'),
      /not one this operation declares/,
    ],
  ];

  it.each(cases)("%s", async (_name, handler, message) => {
    const http = track(await serveOverHttp(handler));
    const client = createZulipAuthClient({ baseUrl: http.url });
    for (const result of [await client.serverSettings(), await client.fetchApiKey({ username: iago.email, password: "x" })]) {
      expect(result.error).toMatchObject({ kind: "unexpected-response", code: "UNEXPECTED_RESPONSE", status: result.response?.status });
      expect(result.error?.code === "UNEXPECTED_RESPONSE" && result.error.message).toMatch(message);
    }
    expect(http.answers).toHaveLength(2);
    for (const a of http.answers) expect(a.violations.length, `${a.operationId} ${a.status}`).toBeGreaterThan(0);
  });

  it("keeps the msg of a Zulip-looking error with an undeclared code", async () => {
    const http = track(await serveOverHttp(cases[3]![1]));
    const { error } = await createZulipAuthClient({ baseUrl: http.url }).fetchApiKey({ username: iago.email, password: "x" });
    expect(error).toMatchObject({ code: "UNEXPECTED_RESPONSE", msg: "Invalid API key", status: 401 });
  });

  it("reports a redirect with its location and does not follow it (the password is not re-sent)", async () => {
    const target = track(await healthy());
    const redirect = track(await serveOverHttp(staticHandler(308, "text/html", "", { location: `${target.http.url}/api/v1/fetch_api_key` })));
    const { error } = await createZulipAuthClient({ baseUrl: redirect.url }).fetchApiKey({ username: iago.email, password: iago.password });
    expect(error).toMatchObject({ code: "UNEXPECTED_RESPONSE", status: 308, location: `${target.http.url}/api/v1/fetch_api_key` });
    expect(target.http.answers).toHaveLength(0);
  });
});

describe("opt-in waiting on RATE_LIMIT_HIT", () => {
  const limited = (retryAfter: number) => {
    const limiter = scriptedLimiter(1, retryAfter);
    return scenario(iago.email, iago.password, undefined, { limiter }).then((s) => ({ ...track(s), limiter }));
  };

  it("does not wait unless asked", async () => {
    const s = await limited(0.2);
    const { error } = await clientFor(s).fetchApiKey({ username: iago.email, password: iago.password });
    expect(error).toMatchObject({ code: "RATE_LIMIT_HIT", retryAfter: 0.2 });
    expect(s.limiter.attempts).toBe(1);
    expectConformant(s.http, 1);
  });

  it("waits Retry-After and tries again when the wait fits in maxWaitMs", async () => {
    const s = await limited(0.2);
    const started = Date.now();
    const { data } = await clientFor(s, { retryOnRateLimit: { maxWaitMs: 1000 } }).fetchApiKey({ username: iago.email, password: iago.password });
    expect(data?.email).toBe(iago.email);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(s.limiter.attempts).toBe(2);
    expect(s.http.answers.map((a) => a.status)).toEqual([429, 200]);
    expectConformant(s.http, 2);
  });

  it("returns the 429 at once when the wait would pass maxWaitMs, or when a call turns waiting off", async () => {
    const s = await limited(1799.25);
    const started = Date.now();
    const client = clientFor(s, { retryOnRateLimit: { maxWaitMs: 5000 } });
    const { error } = await client.fetchApiKey({ username: iago.email, password: iago.password });
    expect(error).toMatchObject({ code: "RATE_LIMIT_HIT", retryAfter: 1799.25 });
    // Under the 5 s it was allowed to wait, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(4000);

    const t = await limited(0.05);
    const off = await clientFor(t, { retryOnRateLimit: { maxWaitMs: 1000 } }).fetchApiKey(
      { username: iago.email, password: iago.password },
      { retryOnRateLimit: false },
    );
    expect(off.error).toMatchObject({ code: "RATE_LIMIT_HIT" });
    expect(t.limiter.attempts).toBe(1);
  });

  it("stops waiting when the caller aborts", async () => {
    const s = await limited(30);
    const controller = new AbortController();
    // Aborted once the client waits out the 429: the wait is what starts listening to the caller's signal.
    const listen = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = (...args: Parameters<typeof listen>) => {
      listen(...args);
      if (args[0] === "abort") queueMicrotask(() => controller.abort());
    };
    const started = Date.now();
    const { error, response } = await clientFor(s, { retryOnRateLimit: { maxWaitMs: 60_000 } }).fetchApiKey(
      { username: iago.email, password: iago.password },
      { signal: controller.signal },
    );
    expect(error).toMatchObject({ code: "ABORTED" });
    expect(response?.status).toBe(429);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(s.limiter.attempts).toBe(1);
  });
});

describe("misuse throws a TypeError; a server's answer never throws", () => {
  it.each([
    ["not a URL", { baseUrl: "chat.example.com" }],
    ["not http(s)", { baseUrl: "ftp://chat.example.com" }],
    ["credentials in the URL", { baseUrl: "https://me:secret@chat.example.com" }],
    ["a query string", { baseUrl: "https://chat.example.com/?x=1" }],
    ["a negative timeout", { baseUrl: "https://chat.example.com", timeoutMs: -1 }],
    ["a wait bound that is not a number", { baseUrl: "https://chat.example.com", retryOnRateLimit: { maxWaitMs: Number.NaN } }],
    ["a fetch that is not a function", { baseUrl: "https://chat.example.com", fetch: "fetch" }],
  ])("%s", (_name, options) => {
    expect(() => createZulipAuthClient(options as never)).toThrow(TypeError);
  });

  it("rejects parameters of the wrong type before sending anything", async () => {
    let sent = 0;
    const client = createZulipAuthClient({ baseUrl: "http://zulip.test", fetch: async () => (sent++, new Response()) });
    await expect(client.fetchApiKey({ username: iago.email } as never)).rejects.toThrow(/password must be a string/);
    await expect(client.devFetchApiKey({ username: 42 } as never)).rejects.toThrow(TypeError);
    await expect(client.serverSettings({ signal: "stop" } as never)).rejects.toThrow(/AbortSignal/);
    expect(sent).toBe(0);
  });

  it("error values carry no password", async () => {
    const s = track(await FETCH_API_KEY_ERRORS.AUTHENTICATION_FAILED());
    const { error } = await clientFor(s).fetchApiKey({ username: s.username, password: s.password });
    expect(JSON.stringify(error satisfies ClientError<"fetch-api-key"> | undefined)).not.toContain(s.password);
  });
});
