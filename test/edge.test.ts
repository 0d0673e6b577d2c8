import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Admin } from "../src/admin/admin.ts";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../src/auth/password-policy.ts";
import { OPERATIONS } from "../src/contract/operations.ts";
import { type Answer, getContractValidator } from "../src/contract/validator.ts";
import { createApp } from "../src/server/app.ts";
import { DEFAULT_CONFIG, type ServerConfig } from "../src/server/config.ts";
import type { AppDeps } from "../src/server/deps.ts";
import { edge } from "../src/server/edge.ts";
import { createLogger } from "../src/server/logger.ts";
import { createMetrics } from "../src/server/metrics.ts";
import { serverSettingsRow } from "../src/server/routes/server-settings.ts";
import { listen, type RunningServer, startServer } from "../src/server/start.ts";
import { UnavailableError } from "../src/shared/unavailable.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import type { Store } from "../src/store/store.ts";
import { TEST_HASH } from "./helpers/harness.ts";
import { exchange, parseRawHttp } from "./helpers/raw-http.ts";

/** The responses in a stream of HTTP/1.1 answers (Content-Length framed, or none for HEAD and 304). */
function splitResponses(text: string, head: boolean): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n") + 4;
    const length = head ? 0 : Number(/\r\ncontent-length: *(\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
    out.push(rest.slice(0, end + length));
    rest = rest.slice(end + length);
  }
  return out;
}

/** An answer as compared: status line, headers but the per-request ones in the order sent, and the body. */
function comparable(response: string): { statusLine: string; headers: string[]; body: string } {
  const end = response.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = response.slice(0, end).split("\r\n");
  return {
    statusLine: statusLine!,
    headers: lines.map((l) => (/^(x-request-id|date):/i.test(l) ? l.slice(0, l.indexOf(":")) : l)),
    body: response.slice(end + 4),
  };
}

/** The access lines among log lines, without what differs from request to request. */
function accessLines(lines: string[]): Record<string, unknown>[] {
  return lines.filter((l) => (JSON.parse(l) as { msg?: string }).msg === "request").map(steady);
}

/** One access line, without what differs from request to request. */
function steady(line: string): Record<string, unknown> {
  const { time: _t, reqId, durationMs, ...rest } = JSON.parse(line) as Record<string, unknown>;
  expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
  expect(typeof durationMs).toBe("number");
  return rest;
}

interface Side {
  port: number;
  /** The subdomains of the requests the edge's row answered. */
  byRow: string[];
  lines: string[];
  deps: AppDeps;
  running: RunningServer;
}

describe("the edge's server_settings row answers exactly as the Hono app does", () => {
  let dir: string;
  let shared: Store;
  let fast: Side;
  let app: Side;

  /** One server over the shared store: the edge with its server_settings row, or with no row (the Hono app answers). */
  const side = async (front: boolean, config: Partial<ServerConfig> = {}, own?: Store): Promise<Side> => {
    const store = own ?? shared;
    const lines: string[] = [];
    const logger = createLogger(new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }), "info");
    const hasher = new PasswordHasher(TEST_HASH);
    const deps: AppDeps = {
      store,
      hasher,
      policy: DEFAULT_PASSWORD_POLICY,
      config: { ...DEFAULT_CONFIG, rootDomain: "zulip.test", ...config },
      logger,
      metrics: createMetrics(hasher),
    };
    const options = { port: 0, host: "127.0.0.1", store, logger, headersTimeoutMs: 2_000, requestTimeoutMs: 5_000 };
    const byRow: string[] = [];
    const row = serverSettingsRow(deps);
    const counted = { ...row, answer: (...args: Parameters<typeof row.answer>) => (byRow.push(args[0]), row.answer(...args)) };
    const running = await listen(edge(deps, createApp(deps).fetch, front ? [counted] : []), options);
    return { port: Number(new URL(running.url).port), byRow, lines, deps, running };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zulip-auth-fast-"));
    shared = await openSqliteStore(join(dir, "t.sqlite"), { cache: true });
    const admin = new Admin(shared, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY);
    await admin.addOrganization("", "Zulip Dev");
    await admin.addOrganization("lear", 'Lear "&" Co.\\');
    await admin.addOrganization("gone", "Gone Ltd");
    await admin.setOrganization("gone", { deactivated: 1 });
    fast = await side(true);
    app = await side(false);
    fast.lines.splice(0);
    app.lines.splice(0);
  });
  afterAll(async () => {
    // Each side's close() closes the shared store too: the second finds it closed already.
    await fast?.running.close();
    await app?.running.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  // Which answers the edge's row gives; every other request goes to the app (Node's own parser answers what
  // it refuses before either sees it).
  const cases: [string, "row" | "app" | "node", string][] = [
    ["the root organization", "row", get("/api/v1/server_settings", "Host: zulip.test\r\n")],
    ["a subdomain, its name JSON-escaped", "row", get("/api/v1/server_settings", "Host: lear.zulip.test\r\n")],
    ["a Host with a port", "row", get("/api/v1/server_settings", "Host: lear.zulip.test:9991\r\n")],
    ["a loopback Host", "row", get("/api/v1/server_settings", "Host: localhost:9991\r\n")],
    ["a Host this server does not answer for", "row", get("/api/v1/server_settings", "Host: example.com\r\n")],
    ["a query string", "row", get("/api/v1/server_settings?a=1&b=x", "Host: zulip.test\r\n")],
    ["a query string with %-escapes", "row", get("/api/v1/server_settings?a=1&b=%20x", "Host: zulip.test\r\n")],
    ["a query string @hono/node-server parses", "row", get("/api/v1/server_settings?x=<>", "Host: zulip.test\r\n")],
    ["a request line Node refuses", "node", get("/api/v1/server_settings?é=1", "Host: zulip.test\r\n")],
    ["ZulipInvalid", "row", get("/api/v1/server_settings", "Host: zulip.test\r\nUser-Agent: ZulipInvalid/1.0\r\n")],
    ["repeated User-Agents", "row", get("/api/v1/server_settings", "Host: zulip.test\r\nUser-Agent: ZulipInvalid/1.0\r\nuser-agent: other\r\n")],
    ["the client's own X-Request-Id", "row", get("/api/v1/server_settings", "Host: zulip.test\r\nX-Request-Id: abc\r\nx-request-id: d\u00e9f\r\n")],
    ["an unknown subdomain (400)", "row", get("/api/v1/server_settings", "Host: nope.zulip.test\r\n")],
    ["a deactivated organization", "row", get("/api/v1/server_settings", "Host: gone.zulip.test\r\n")],
    ["an upper-case Host", "row", get("/api/v1/server_settings", "Host: LEAR.Zulip.Test\r\n")],
    ["two Host headers (400)", "app", get("/api/v1/server_settings", "Host: zulip.test\r\nHost: lear.zulip.test\r\n")],
    ["no Host (400)", "app", get("/api/v1/server_settings", "")],
    ["a bad Host (400)", "app", get("/api/v1/server_settings", "Host: a b\r\n")],
    ["a Host Node takes but the URL parser refuses (400)", "app", get("/api/v1/server_settings", "Host: xn--a\r\n")],
    ["an IPv4 Host out of range (400)", "app", get("/api/v1/server_settings", "Host: 999.1.1.1:9991\r\n")],
    // Django's Host validation (Zulip answers 400): no user info, no path.
    ["a Host with user info (400)", "app", get("/api/v1/server_settings", "Host: a@zulip.test\r\n")],
    ["a Host with a path (400)", "app", get("/api/v1/server_settings", "Host: zulip.test/x\r\n")],
    // An absolute-form target: the scheme is the socket's, the host the Host header's.
    ["an absolute-form target", "row", get("https://lear.zulip.test/api/v1/server_settings", "Host: zulip.test\r\n")],
    ["a trailing slash (404)", "app", get("/api/v1/server_settings/", "Host: zulip.test\r\n")],
    ["a path Hono decodes", "app", get("/api/v1/server%5Fsettings", "Host: zulip.test\r\n")],
    ["a GET with a body (the connection is closed)", "app", `GET /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\nContent-Length: 5\r\n\r\nhello`],
    ["HEAD", "app", `HEAD /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\nConnection: close\r\n\r\n`],
    ["OPTIONS (405)", "app", `OPTIONS /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\nConnection: close\r\n\r\n`],
    ["POST (405)", "app", `POST /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`],
    ["HTTP/1.0", "app", "GET /api/v1/server_settings HTTP/1.0\r\nHost: zulip.test\r\n\r\n"],
    [
      "keep-alive, then close",
      "row",
      `GET /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\n\r\n${get("/api/v1/server_settings", "Host: lear.zulip.test\r\n")}`,
    ],
  ];

  it.each(cases)("%s (answered by the %s): the same status, headers in the same order, bytes and access line", async (_name, by, request) => {
    const head = request.startsWith("HEAD");
    const [a, b] = await Promise.all([exchange(fast.port, request), exchange(app.port, request)]);
    const [fastAnswers, appAnswers] = [splitResponses(a, head), splitResponses(b, head)];
    expect(fastAnswers.length).toBeGreaterThan(0);
    expect(fastAnswers.map(comparable)).toEqual(appAnswers.map(comparable));
    const validator = await getContractValidator();
    for (const answer of fastAnswers) {
      const parsed = parseRawHttp(answer);
      // The operation's answers (not a HEAD's empty body, nor the 404 of a path that is not the operation's).
      if (!head && parsed.status !== 404) expect(validator.validateResponse("get-server-settings", parsed)).toEqual([]);
    }
    // Every answer carries an id of the server's own.
    for (const answer of [...fastAnswers, ...appAnswers]) expect(/\r\nX-Request-Id: ([0-9a-f-]{36})\r\n/i.exec(answer)).not.toBeNull();
    // The same access lines (none for a request Node or @hono/node-server refused before the app saw it).
    expect(accessLines(fast.lines.splice(0))).toEqual(accessLines(app.lines.splice(0)));
    const byRow = fast.byRow.splice(0);
    if (by === "row") expect(byRow.length).toBeGreaterThan(0);
    else expect(byRow).toEqual([]);
  });

  it("answers 400 to a Host Django refuses, on every route, and takes realm_url's scheme from the socket, never from the target", async () => {
    const validator = await getContractValidator();
    const body = "username=iago%40zulip.com&password=x";
    for (const host of ["a@zulip.test", "zulip.test/x", "zulip_test"]) {
      const requests: [string, string][] = [
        ["get-server-settings", get("/api/v1/server_settings", `Host: ${host}\r\n`)],
        [
          "fetch-api-key",
          `POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        ],
      ];
      for (const [operationId, request] of requests)
        for (const side of [fast, app]) {
          const answer = parseRawHttp(await exchange(side.port, request));
          expect(validator.validateResponse(operationId, answer)).toEqual([]);
          expect(answer.status, `${host} ${operationId}`).toBe(400);
        }
    }
    for (const side of [fast, app]) {
      const answer = parseRawHttp(await exchange(side.port, get("https://lear.zulip.test/api/v1/server_settings", "Host: lear.zulip.test\r\n")));
      expect(validator.validateResponse("get-server-settings", answer)).toEqual([]);
      expect((JSON.parse(answer.bodyText) as { realm_url: string }).realm_url).toBe("http://lear.zulip.test");
    }
    fast.lines.splice(0);
    app.lines.splice(0);
    fast.byRow.splice(0);
  });

  it("answers pipelined requests in order", async () => {
    const two = `GET /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\n\r\n${get("/api/v1/server_settings", "Host: lear.zulip.test\r\n")}`;
    const [answers, appAnswers] = await Promise.all([fast, app].map(async (s) => splitResponses(await exchange(s.port, two), false)));
    expect(answers!.map((r) => JSON.parse(comparable(r).body).realm_name)).toEqual(["Zulip Dev", 'Lear "&" Co.\\']);
    expect(answers!.map(comparable)).toEqual(appAnswers!.map(comparable));
    expect(accessLines(fast.lines.splice(0))).toEqual(accessLines(app.lines.splice(0)));
  });

  it("counts its answers in the same metrics, under the route's own label", async () => {
    const series = async (side: Side) =>
      (await side.deps.metrics!.registry.metrics()).split("\n").filter((l) => l.startsWith("zulip_auth_http_request_duration_seconds_count"));
    await Promise.all([fast, app].map((s) => exchange(s.port, get("/api/v1/server_settings", "Host: zulip.test\r\n"))));
    const [f, a] = [await series(fast), await series(app)];
    expect(f.some((l) => l.includes('route="/api/v1/server_settings"') && l.includes('status="200"'))).toBe(true);
    // Both sides answered the same requests so far: the same series, with the same counts.
    expect(f).toEqual(a);
    fast.lines.splice(0);
    app.lines.splice(0);
  });

  it.each([
    ["X-Forwarded-For", { trustedProxies: ["127.0.0.1"] }, "X-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"],
    ["Forwarded", { trustedProxies: ["127.0.0.1"], proxyHeader: "forwarded" as const }, 'Forwarded: for="[2001:db8::7]:4711"\r\n'],
    ["an external URL", { externalUrl: "https://chat.example.com" }, ""],
  ])("behind a trusted proxy (%s): the same answer and access line, with the client's address", async (_name, config, header) => {
    // Each on a connection of its own to the file: closing a server closes its store.
    const own = () => openSqliteStore(join(dir, "t.sqlite"), { cache: true });
    const [f, a] = [await side(true, config, await own()), await side(false, config, await own())];
    try {
      const request = get("/api/v1/server_settings", `Host: lear.zulip.test\r\n${header}`);
      const [fa, aa] = await Promise.all([exchange(f.port, request), exchange(a.port, request)]);
      expect(comparable(fa)).toEqual(comparable(aa));
      const [fl, al] = [accessLines(f.lines), accessLines(a.lines)];
      expect(fl).toEqual(al);
      expect(fl).toHaveLength(1);
      expect(f.byRow).toEqual(["lear"]);
      if (header) expect(fl[0]!.address).not.toBe("127.0.0.1");
    } finally {
      await f.running.close();
      await a.running.close();
    }
  });

  it.each(["xn--a", "999.1.1.1", "xn--a:9991"])("answers a Host Node takes but no URL can be built on (%s) with a 400, on every endpoint", async (host) => {
    const validator = await getContractValidator();
    const login = `POST /api/v1/fetch_api_key HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 21\r\nConnection: close\r\n\r\nusername=a&password=b`;
    const requests: [typeof OPERATIONS.fetchApiKey | typeof OPERATIONS.getServerSettings, string][] = [
      [OPERATIONS.getServerSettings, get("/api/v1/server_settings", `Host: ${host}\r\n`)],
      [OPERATIONS.fetchApiKey, login],
    ];
    for (const [operation, request] of requests) {
      const answer = parseRawHttp(await exchange(fast.port, request));
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.bodyText)).toEqual({ result: "error", msg: "Malformed request: Invalid host header", code: "BAD_REQUEST" });
      expect(validator.validateResponse(operation.operationId, answer)).toEqual([]);
    }
    fast.lines.splice(0);
    fast.byRow.splice(0);
  });

  it("names a foreign Host's organization by the Host header, whatever an earlier absolute-form request named", async () => {
    const realmUrl = async (request: string) => JSON.parse(parseRawHttp(await exchange(app.port, request)).bodyText).realm_url;
    expect(await realmUrl("GET http://evil.example/api/v1/server_settings HTTP/1.1\r\nHost: lear.zulip.test\r\nConnection: close\r\n\r\n")).toBe(
      "http://lear.zulip.test",
    );
    expect(await realmUrl("GET /api/v1/server_settings HTTP/1.0\r\nHost: evil.example\r\n\r\n")).toBe("http://zulip.test");
    app.lines.splice(0);
  });

  it("answers a database outage's 503 itself: the database is asked once, and the wait is logged whole", async () => {
    let asked = 0;
    // The server's clock, which the database's wait below moves on by 200 ms: no real wait is needed.
    const now = performance.now.bind(performance);
    let waited = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => now() + waited);
    // The shared store, but its organizations' database does not answer (after a wait the log must include).
    const down = new Proxy(await openSqliteStore(join(dir, "t.sqlite"), { cache: true }), {
      get: (target, key, receiver) =>
        key === "findOrganization"
          ? async () => {
              asked += 1;
              waited += 200;
              throw new UnavailableError("database");
            }
          : Reflect.get(target, key, receiver),
    });
    const f = await side(true, {}, down);
    try {
      // Over a connection the client keeps open (Node drops a request whose client half-closes before the answer).
      const answer = await new Promise<Answer>((resolve, reject) => {
        const request = http.get({ port: f.port, host: "127.0.0.1", path: "/api/v1/server_settings", headers: { host: "zulip.test" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (d: Buffer) => chunks.push(d));
          res.on("end", () =>
            resolve({
              status: res.statusCode!,
              headers: new Headers(Object.entries(res.headers).map(([k, v]): [string, string] => [k, String(v)])),
              bodyText: Buffer.concat(chunks).toString(),
            }),
          );
        });
        request.on("error", reject);
      });
      expect(answer.status).toBe(503);
      expect((await getContractValidator()).validateResponse("get-server-settings", answer)).toEqual([]);
      expect(asked).toBe(1);
      expect(f.byRow).toHaveLength(1);
      const [line] = f.lines.map((l) => JSON.parse(l) as { msg?: string; status?: number; durationMs?: number }).filter((l) => l.msg === "request");
      expect(line).toMatchObject({ status: 503 });
      expect(line!.durationMs).toBeGreaterThanOrEqual(200);
    } finally {
      clock.mockRestore();
      await f.running.close();
    }
  });

  it("sees an organization renamed from another connection on the next request", async () => {
    const cli = await openSqliteStore(join(dir, "t.sqlite"));
    try {
      const before = comparable(splitResponses(await exchange(fast.port, get("/api/v1/server_settings", "Host: lear.zulip.test\r\n")), false)[0]!);
      expect(JSON.parse(before.body).realm_name).toBe('Lear "&" Co.\\');
      await new Admin(cli, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY).setOrganization("lear", { name: "Lear Again" });
      const after = comparable(splitResponses(await exchange(fast.port, get("/api/v1/server_settings", "Host: lear.zulip.test\r\n")), false)[0]!);
      expect(JSON.parse(after.body).realm_name).toBe("Lear Again");
      await new Admin(cli, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY).setOrganization("lear", { name: 'Lear "&" Co.\\' });
    } finally {
      await cli.close();
      fast.lines.splice(0);
    }
  });
});

describe("startServer", () => {
  it("answers server_settings from the edge's row", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zulip-auth-fast-serve-"));
    const lines: string[] = [];
    const logger = createLogger(new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }), "info");
    const server = await startServer({ port: 0, host: "127.0.0.1", db: join(dir, "t.sqlite"), hashParams: TEST_HASH, logger });
    try {
      await new Admin(server.store, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY).addOrganization("", "Zulip Dev");
      const response = parseRawHttp(await exchange(Number(new URL(server.url).port), get("/api/v1/server_settings", "Host: localhost\r\n")));
      expect(response.status).toBe(200);
      expect(JSON.parse(response.bodyText)).toMatchObject({ realm_name: "Zulip Dev", realm_url: `http://localhost` });
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** A GET that asks the server to close the connection after its answer. */
function get(path: string, headers: string): string {
  return `GET ${path} HTTP/1.1\r\n${headers}Connection: close\r\n\r\n`;
}
