import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { getContractValidator } from "../src/contract/validator.ts";
import { accessLine, accessLogger, createLogger } from "../src/server/logger.ts";
import { fuzzRequest, toRequest } from "./helpers/fuzz.ts";
import { conformant, createTestServer, form, multipart, USERS } from "./helpers/harness.ts";
import { BIN, startServerProcess } from "./helpers/process.ts";
import { exchange, parseRawHttp } from "./helpers/raw-http.ts";

describe("structured logs", () => {
  it("one JSON access line per request, with method, path, status, duration, organization and the request id the answer carries", async () => {
    const s = await createTestServer();
    const answer = await conformant(
      "fetch-api-key",
      await s.request("/api/v1/fetch_api_key", { ...form({ username: USERS.cordelia.email, password: "wrong-password" }), host: "lear.zulip.test" }),
    );
    const lines = s.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: "request", method: "POST", path: "/api/v1/fetch_api_key", status: 401, organization: "lear" });
    expect(typeof lines[0]!.durationMs).toBe("number");
    expect(lines[0]!.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get("x-request-id")).toBe(lines[0]!.reqId);
  });

  it("a client's X-Request-Id is logged beside ours, never as ours, and not echoed; the client's address is logged", async () => {
    const s = await createTestServer();
    const answer = await conformant(
      "get-server-settings",
      await s.request("/api/v1/server_settings", { headers: { "x-request-id": "client-chosen\u0007id" }, address: "192.0.2.44" }),
    );
    const line = JSON.parse(s.logLines[0]!) as Record<string, unknown>;
    expect(line.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(line.clientReqId).toBe("client-chosen?id");
    expect(line.address).toBe("192.0.2.44");
    expect(answer.headers.get("x-request-id")).toBe(line.reqId);
    expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("never holds a password, an API key or an Authorization value, across a full suite of requests", async () => {
    const s = await createTestServer({ limits: {} });
    const secrets = new Set<string>(Object.values(USERS).flatMap((u) => [u.password]));
    const authorization = `Basic ${btoa(`${USERS.iago.email}:not-a-real-key-but-secret`)}`;
    secrets.add(authorization.slice(6));
    let requests = 0;
    const call = (path: string, init: RequestInit & { host?: string }) => {
      requests++;
      return s.request(path, init);
    };

    for (const u of Object.values(USERS)) {
      const host = u.org ? `${u.org}.zulip.test` : "zulip.test";
      for (const init of [form({ username: u.email, password: u.password }), multipart({ username: u.email, password: u.password })]) {
        await conformant("fetch-api-key", await call("/api/v1/fetch_api_key", { ...init, host, headers: { authorization } }));
      }
      await conformant(
        "fetch-api-key",
        await call(`/api/v1/fetch_api_key?username=${encodeURIComponent(u.email)}&password=${encodeURIComponent(u.password)}`, { method: "POST", host }),
      );
      await conformant("fetch-api-key", await call("/api/v1/fetch_api_key", { ...form({ username: u.email, password: `${u.password}-wrong` }), host }));
    }
    for (let i = 0; i < 7; i++)
      await conformant("fetch-api-key", await call("/api/v1/fetch_api_key", form({ username: USERS.hamlet.email, password: USERS.hamlet.password })));
    const devServer = await createTestServer({ config: { devMode: true } });
    await conformant("dev-fetch-api-key", await devServer.request("/api/v1/dev_fetch_api_key", form({ username: USERS.iago.email })));
    await conformant("get-server-settings", await call("/api/v1/server_settings", { headers: { authorization } }));
    for (const r of fc.sample(fuzzRequest, { numRuns: 200, seed: 42 })) {
      requests++;
      await s.app.fetch(toRequest(r));
    }
    // An unexpected error is logged with its stack trace, which must not carry the request's secrets either.
    s.store.findOrganization = () => Promise.reject(new Error("database unavailable"));
    await conformant("fetch-api-key", await call("/api/v1/fetch_api_key", form({ username: USERS.iago.email, password: USERS.iago.password })));

    for (const server of [s, devServer]) for (const u of await server.store.listUsers()) secrets.add(u.api_key);
    const log = [...s.logLines, ...devServer.logLines].join("");
    expect(log).toContain("database unavailable");
    // One access line per request on each server, plus the error line.
    expect(s.logLines).toHaveLength(requests + 1);
    expect(devServer.logLines).toHaveLength(1);
    for (const secret of secrets) expect(log.includes(secret), `a secret (${secret.length} characters) reached the log`).toBe(false);
    expect(log.toLowerCase()).not.toContain("authorization");
  });

  it("redacts secret keys wherever a log call might put them", async () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l: string) => void lines.push(l) } as never, "info");
    logger.info(
      {
        password: "p1-secret",
        api_key: "k1-secret",
        user: { password: "p2-secret", key: "k2-secret" },
        req: { headers: { authorization: "Basic abc-secret" } },
      },
      "x",
    );
    expect(lines.join("")).not.toMatch(/secret/);
    expect(lines.join("")).toContain("[redacted]");
  });

  it("an access line is, byte for byte, the line pino itself writes for it, at each level and for any field values", () => {
    // accessLogger writes its lines without pino's serialiser: pino's own output is the reference.
    const level = fc.constantFrom<"info" | "debug">("info", "debug");
    const text = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom('Lear "&" Co.\\', "\u0000\n\u2028", "é😀"));
    const line = fc.record({
      reqId: fc.uuid(),
      clientReqId: fc.option(text, { nil: undefined }),
      method: text,
      path: text,
      status: fc.integer({ min: 100, max: 599 }),
      // A clock that went wrong gives NaN or Infinity: JSON has neither, pino writes null.
      durationMs: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY)),
      organization: fc.option(text, { nil: undefined }),
      address: text,
    });
    fc.assert(
      fc.property(level, fc.constantFrom("info", "debug", "warn"), line, (at, threshold, facts) => {
        const ours: string[] = [];
        const pinos: string[] = [];
        const write = (into: string[]) => ({ write: (l: string) => void into.push(l) }) as never;
        const access = accessLogger(createLogger(write(ours), threshold));
        const reference = createLogger(write(pinos), threshold).child({}, { redact: [] });
        const cut = accessLine(facts);
        const now = Date.now;
        Date.now = () => 1_700_000_000_123;
        try {
          access(at, cut);
          reference[at](cut, "request");
        } finally {
          Date.now = now;
        }
        expect(ours).toEqual(pinos);
        for (const l of ours) JSON.parse(l);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the access log of a server process", () => {
  it("holds a line for every answer, with the id the answer carried, when the server is stopped right after (SIGTERM)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zulip-auth-log-"));
    try {
      // Lines are written asynchronously: the ones still queued at the signal must be flushed on exit.
      // 300 connections at once from one address: more than serve's cap per address allows by default.
      const server = await startServerProcess(["serve", "--port", "0", "--db", join(dir, "db.sqlite"), "--max-connections-per-address", "300"]);
      const closed = once(server.child, "close");
      const answers = await Promise.all(Array.from({ length: 300 }, () => fetch(`${server.url}/api/v1/server_settings`, { headers: { host: "localhost" } })));
      const ids = answers.map((a) => a.headers.get("x-request-id"));
      expect(new Set(ids).size).toBe(300);
      expect(await server.stop("SIGTERM")).toBe(0);
      await closed;
      const lines = server
        .output()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(new Set(lines.filter((l) => l.msg === "request").map((l) => l.reqId))).toEqual(new Set(ids));
      expect(lines.map((l) => l.msg)).toContain("stopping");
      // A proxy's own id is logged beside the server's, so its log and this one name the same request; the
      // answer carries the server's own.
      const again = await startServerProcess(["serve", "--port", "0", "--db", join(dir, "db.sqlite")]);
      const proxied = await fetch(`${again.url}/api/v1/server_settings`, { headers: { "x-request-id": "proxy-42=" } });
      const ownId = proxied.headers.get("x-request-id");
      expect(ownId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await again.stop("SIGTERM")).toBe(0);
      const logged = again
        .output()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logged.find((l) => l.reqId === ownId)).toMatchObject({ clientReqId: "proxy-42=" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("an access line holds no character a client chose to move an operator's terminal", () => {
  // C0 but the line end, DEL, C1 (U+009B is a terminal's CSI, U+0085 a line end) and the bidi overrides.
  const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
  const LONG = `/${"%C2%9B".repeat(2300)}`;
  /** Requests whose path, address, X-Request-Id and Host carry such characters (as bytes: Node reads headers as latin1). */
  const requests = [
    "GET /a%C2%9B2J%C2%85%E2%80%AEx%7F?password=hunter2 HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: \xc2\x9b\r\nX-Request-Id: \x9b\xc2\x85\r\n",
    `GET ${LONG} HTTP/1.1\r\nHost: localhost\r\n`,
    'GET /api/v1/server_settings HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-For: a"b\\c\r\nX-Request-Id: \xe2\x80\xae\r\n',
    "GET /api/v1/server_settings HTTP/1.1\r\nHost: \x9b.localhost\r\nUser-Agent: \x9b\x85\r\n",
  ].map((head) => Buffer.from(`${head}Connection: close\r\n\r\n`, "latin1"));

  /** Sends `requests` to `url`, validating every answer against the contract. */
  async function send(url: string): Promise<void> {
    const validator = await getContractValidator();
    for (const bytes of requests) {
      const answer = parseRawHttp(await exchange(Number(new URL(url).port), bytes));
      const body = JSON.parse(answer.bodyText) as unknown;
      // An unknown path's 404 is no operation's answer: its body is Zulip's error shape.
      if (answer.status === 404) expect(validator.validateValue("#/components/schemas/BadRequestError", body)).toEqual([]);
      else expect(validator.validateResponse("get-server-settings", answer), answer.bodyText).toEqual([]);
    }
  }

  it("as JSON: printable ASCII in every field the client chose, the path as sent without its query, bounded, and the proxy as the address a forwarded non-address names", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zulip-auth-log-"));
    try {
      const server = await startServerProcess(["serve", "--port", "0", "--db", join(dir, "db.sqlite"), "--trusted-proxies", "loopback"]);
      await send(server.url);
      expect(await server.stop("SIGTERM")).toBe(0);
      const output = server.output();
      expect(output).not.toMatch(UNSAFE);
      expect(output).not.toContain("hunter2");
      const lines = output
        .trim()
        .split("\n")
        .map((l) => {
          expect(l.length).toBeLessThan(2000);
          return JSON.parse(l) as Record<string, unknown>;
        })
        .filter((l) => l.msg === "request");
      expect(lines[0]).toMatchObject({ path: "/a%C2%9B2J%C2%85%E2%80%AEx%7F", status: 404, address: "127.0.0.1", clientReqId: "???" });
      expect(LONG.startsWith(lines[1]!.path as string)).toBe(true);
      expect(lines[2]).toMatchObject({ path: "/api/v1/server_settings", address: "127.0.0.1", clientReqId: "???" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("as pino-pretty's lines (--log-format pretty)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zulip-auth-log-"));
    try {
      const child = spawn(
        process.execPath,
        [BIN, "serve", "--port", "0", "--db", join(dir, "db.sqlite"), "--log-format", "pretty", "--trusted-proxies", "loopback"],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let output = "";
      const closed = once(child, "close");
      const url = await new Promise<string>((resolve) =>
        child.stdout.on("data", (d: Buffer) => {
          output += d;
          const m = /url: "(http:[^"]+)"/.exec(output);
          if (m) resolve(m[1]!);
        }),
      );
      await send(url);
      child.kill("SIGTERM");
      expect((await closed)[0]).toBe(0);
      expect(output).not.toMatch(UNSAFE);
      expect(output).toContain('path: "/a%C2%9B2J%C2%85%E2%80%AEx%7F"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
