import { Agent } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../src/server/start.ts";
import { conformant, USERS } from "./helpers/harness.ts";
import { fromAddress, rawExchange } from "./helpers/loopback.ts";
import { runCli, startServerProcess } from "./helpers/process.ts";
import { createDatabase, missingServices, need, redisDatabase } from "./helpers/service-env.ts";
import { FETCH_API_KEY, login, seed, sqlite, start, type Where } from "./helpers/wire.ts";

// Real servers on real sockets; every client is bound to its own loopback address (127.0.0.x), so the server
// sees distinct client addresses as it would distinct machines.

type Body = Record<string, unknown>;
const PATH = FETCH_API_KEY;

describe("the brute-force defence over real sockets (SQLite)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const where = sqlite();
    await seed(where);
    server = await start(where);
  });

  it("an address hammering a user gets 429, while the user logs in from another address", async () => {
    for (let i = 0; i < 5; i++) expect((await login(server, "127.0.0.2", USERS.iago.email, "wrong-password")).status).toBe(401);
    const refused = await login(server, "127.0.0.2", USERS.iago.email, USERS.iago.password);
    expect(refused.status).toBe(429);
    const ok = await login(server, "127.0.0.3", USERS.iago.email, USERS.iago.password);
    expect(ok.status).toBe(200);
    // The headers describe the caller's own bucket only: nothing about the hammering address.
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("an address spraying usernames is cut off by (b)", async () => {
    for (let i = 0; i < 30; i++) expect((await login(server, "127.0.0.4", `sprayed${i}@zulip.com`, "Winter2026!")).status).toBe(401);
    expect((await login(server, "127.0.0.4", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(429);
    expect((await login(server, "127.0.0.5", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
  });

  it("every answer carries our own X-Request-Id and nosniff; the client's id is not echoed", async () => {
    const answer = await fromAddress(server.url, "127.0.0.6", {
      path: "/api/v1/server_settings",
      host: "zulip.test",
      headers: { "x-request-id": "forged-id" },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers["x-content-type-options"]).toBe("nosniff");
    const missing = await fromAddress(server.url, "127.0.0.6", { path: "/nowhere" });
    expect(missing.headers["x-content-type-options"]).toBe("nosniff");
  });
});

describe("a restart keeps the counts", () => {
  const MISSING = missingServices("postgres");
  for (const kind of ["sqlite", "postgres"] as const) {
    it(`on ${kind}`, async (ctx) => {
      if (kind === "postgres") need(ctx, MISSING);
      const pg = kind === "postgres" ? await createDatabase() : undefined;
      const where: Where = pg ? { ...sqlite(), databaseUrl: pg.url } : sqlite();
      try {
        await seed(where);
        let server = await start(where);
        for (let i = 0; i < 5; i++) expect((await login(server, "127.0.0.7", USERS.iago.email, "wrong-password")).status).toBe(401);
        await server.close();
        server = await start(where);
        expect((await login(server, "127.0.0.7", USERS.iago.email, USERS.iago.password)).status).toBe(429);

        // The operator sees and lifts it, on the same store.
        const env: Record<string, string> = pg ? { DATABASE_URL: pg.url } : { ZULIP_AUTH_DB: where.db };
        const shown = await runCli(["limits", "show", "--user", USERS.iago.email, "--json"], { env });
        expect(shown.code, shown.stderr).toBe(0);
        const rows = JSON.parse(shown.stdout) as { rule: string; attempts: number; limit: number; limitedUntil: string | null; address: string }[];
        expect(rows.find((r) => r.rule === "a")).toMatchObject({ attempts: 5, limit: 5, address: "127.0.0.7" });
        expect(rows.find((r) => r.rule === "a")!.limitedUntil).not.toBeNull();
        expect(rows.find((r) => r.rule === "c")).toMatchObject({ attempts: 5, limit: 100, limitedUntil: null });
        const byAddress = await runCli(["limits", "show", "--address", "127.0.0.7", "--json"], { env });
        expect((JSON.parse(byAddress.stdout) as { rule: string }[]).map((r) => r.rule).sort()).toEqual(["a", "b"]);
        const cleared = await runCli(["limits", "clear", "--user", USERS.iago.email, "--org", ""], { env });
        expect(cleared).toMatchObject({ code: 0, stdout: "cleared 2 buckets\n" });
        expect((await login(server, "127.0.0.7", USERS.iago.email, USERS.iago.password)).status).toBe(200);
        const bad = await runCli(["limits", "clear", "--org", "lear"], { env });
        // Bad usage: exit code 2.
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("--user EMAIL");
      } finally {
        await pg?.drop();
      }
    });
  }
});

describe("two instances share (a)–(c) through Redis", () => {
  const MISSING = missingServices("redis");
  it("counts attempts made on either instance, and the CLI shows and clears them there", async (ctx) => {
    need(ctx, MISSING);
    const redisUrl = await redisDatabase(3);
    const where = { ...sqlite(), redisUrl };
    await seed(where);
    const limits = {
      userAddress: { attempts: 3, windowSeconds: 1800 },
      address: { attempts: 6, windowSeconds: 1800 },
      user: { attempts: 8, windowSeconds: 1800 },
    };
    const [a, b] = [await start(where, { limits }), await start(where, { limits })];
    // (a): 2 on A and 1 on B from one address fill it.
    await login(a, "127.0.0.10", USERS.iago.email, "wrong-password");
    await login(b, "127.0.0.10", USERS.iago.email, "wrong-password");
    await login(a, "127.0.0.10", USERS.iago.email, "wrong-password");
    expect((await login(b, "127.0.0.10", USERS.iago.email, USERS.iago.password)).status).toBe(429);
    // (b): 6 failures of one address over usernames, across both.
    for (let i = 0; i < 6; i++) expect((await login(i % 2 ? a : b, "127.0.0.11", `x${i}@zulip.com`, "wrong-password")).status).toBe(401);
    expect((await login(a, "127.0.0.11", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(429);
    // (c): hamlet's failures from many addresses, across both (8 in all).
    for (let i = 0; i < 8; i++) expect((await login(i % 2 ? a : b, `127.0.1.${i + 1}`, USERS.hamlet.email, "wrong-password")).status).toBe(401);
    expect((await login(b, "127.0.2.1", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(429);

    const env = { REDIS_URL: redisUrl };
    const shown = await runCli(["limits", "show", "--user", USERS.hamlet.email, "--json"], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as { rule: string; attempts: number; limitedUntil: string | null }[]).find((r) => r.rule === "c")).toMatchObject({
      attempts: 8,
    });
    expect((await runCli(["limits", "clear", "--user", USERS.hamlet.email], { env })).code).toBe(0);
    expect((await login(b, "127.0.2.1", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
    // (b) and the six (a) buckets of the usernames it tried.
    expect((await runCli(["limits", "clear", "--address", "127.0.0.11"], { env })).stdout).toBe("cleared 7 buckets\n");
    expect((await login(a, "127.0.0.11", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
    const human = await runCli(["limits", "show", "--address", "127.0.0.10"], { env });
    expect(human.stdout).toMatch(/^rule\s+organization\s+user\s+address\s+attempts\s+limit\s+limitedUntil\s+clearsAt\n/);
  });
});

describe("serve --uniform-errors", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const where = sqlite();
    await seed(where);
    server = await start(where, { config: { uniformErrors: true } });
  });

  it("answers a deactivated user, a deactivated organization and another organization's user exactly as a wrong password", async () => {
    const wrong = await login(server, "127.0.0.20", USERS.hamlet.email, "wrong-password");
    const cases = [
      await login(server, "127.0.0.20", "retired@zulip.com", "retired-Strong-77"),
      await login(server, "127.0.0.20", USERS.othello.email, USERS.othello.password, "gone.zulip.test"),
      await login(server, "127.0.0.20", USERS.cordelia.email, USERS.cordelia.password),
    ];
    const comparable = (h: Record<string, unknown>) => {
      const { date: _d, "x-request-id": _r, "x-ratelimit-reset": _x, ...rest } = h;
      return rest;
    };
    for (const answer of cases) {
      expect(answer.status).toBe(401);
      expect(answer.text).toBe(wrong.text);
      expect(comparable(answer.wire.headers)).toEqual(comparable(wrong.wire.headers));
      expect(Math.abs(Number(answer.headers.get("x-ratelimit-reset")) - Number(wrong.headers.get("x-ratelimit-reset")))).toBeLessThanOrEqual(2);
    }
  });
});

describe("Host and HTTP hardening", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const where = sqlite();
    await seed(where);
    server = await start(where);
  });

  it("a trailing dot names the same organization", async () => {
    expect((await login(server, "127.0.0.30", USERS.cordelia.email, USERS.cordelia.password, "lear.zulip.test.")).status).toBe(200);
    const settings = await fromAddress(server.url, "127.0.0.30", { path: "/api/v1/server_settings", host: "lear.zulip.test." });
    const body = (await conformant<Body>("get-server-settings", settings.response)).body;
    expect(body.realm_name).toBe("Lear & Co.");
    expect(body.realm_url).toBe("http://lear.zulip.test");
  });

  it("two Host headers get a 400 in Zulip's JSON error shape", async () => {
    const raw = await rawExchange(server.url, "GET /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\nHost: lear.zulip.test\r\nConnection: close\r\n\r\n");
    expect(raw).toMatch(/^HTTP\/1.1 400 /);
    const body = raw.slice(raw.indexOf("\r\n\r\n") + 4);
    expect(JSON.parse(body)).toEqual({ result: "error", msg: "Bad Request: more than one Host header", code: "BAD_REQUEST" });
    const headers = new Headers(
      raw
        .slice(0, raw.indexOf("\r\n\r\n"))
        .split("\r\n")
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()] as [string, string]),
    );
    await conformant("get-server-settings", new Response(body, { status: 400, headers }));
  });

  it("answers Node's own parse errors with nosniff and an X-Request-Id too", async () => {
    const raw = await rawExchange(server.url, "GET /api/v1/server_settings HTTP/1.1\r\nHost: zulip.test\r\nX-Bad: a\u0000b\r\n\r\n");
    expect(raw).toMatch(/^HTTP\/1.1 400 /);
    expect(raw).toMatch(/\r\nX-Content-Type-Options: nosniff\r\n/);
    expect(raw).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
  });

  it("realm_url never comes from a Host the server does not answer for", async () => {
    const url = async (host: string) =>
      (await conformant<Body>("get-server-settings", (await fromAddress(server.url, "127.0.0.31", { path: "/api/v1/server_settings", host })).response)).body
        .realm_url;
    expect(await url("evil.example")).toBe("http://zulip.test");
    expect(await url("evil.example:8080")).toBe("http://zulip.test");
    expect(await url("zulip.test:9991")).toBe("http://zulip.test:9991");
    expect(await url("lear.zulip.test")).toBe("http://lear.zulip.test");
    expect(await url("localhost:9991")).toBe("http://localhost:9991");
    expect(await url("127.0.0.1:9991")).toBe("http://127.0.0.1:9991");
    expect(await url("[::1]:9991")).toBe("http://[::1]:9991");
  });

  it("a 413 sent before the body is read says Connection: close, and a keep-alive client's next request succeeds", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const big = await fromAddress(server.url, "127.0.0.32", {
        path: PATH,
        host: "zulip.test",
        agent,
        form: { username: USERS.iago.email, password: "x".repeat(70_000) },
      });
      expect(big.status).toBe(413);
      expect(big.headers.connection).toBe("close");
      await conformant("fetch-api-key", big.response);
      const next = await fromAddress(server.url, "127.0.0.32", {
        path: PATH,
        host: "zulip.test",
        agent,
        form: { username: USERS.iago.email, password: USERS.iago.password },
      });
      expect(next.status).toBe(200);
      expect(next.headers.connection).toBe("keep-alive");
    } finally {
      agent.destroy();
    }
  });
});

describe("the client address behind trusted proxies", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const where = sqlite();
    await seed(where);
    server = await start(where, { config: { trustedProxies: ["127.0.0.1"] } });
  });
  const via = async (from: string, headers: Record<string, string>, password: string) =>
    (
      await conformant(
        "fetch-api-key",
        (
          await fromAddress(server.url, from, { path: PATH, host: "zulip.test", headers, form: { username: USERS.iago.email, password } })
        ).response,
      )
    ).status;

  it("believes X-Forwarded-For and Forwarded from a trusted proxy only, grouping IPv6 by /64", async () => {
    for (let i = 0; i < 5; i++) expect(await via("127.0.0.1", { "x-forwarded-for": "203.0.113.5" }, "wrong-password")).toBe(401);
    expect(await via("127.0.0.1", { "x-forwarded-for": "203.0.113.5" }, USERS.iago.password)).toBe(429);
    // Another client behind the same proxy, and a client that is not a proxy but claims the blocked address.
    expect(await via("127.0.0.1", { "x-forwarded-for": "203.0.113.6" }, USERS.iago.password)).toBe(200);
    expect(await via("127.0.0.41", { "x-forwarded-for": "203.0.113.5" }, USERS.iago.password)).toBe(200);
    // A Forwarded header the client sent, passed through by the proxy, is never read: it cannot choose an address.
    expect(await via("127.0.0.1", { "x-forwarded-for": "203.0.113.5", forwarded: "for=198.51.100.9" }, USERS.iago.password)).toBe(429);
    expect(await via("127.0.0.1", { forwarded: "for=198.51.100.9" }, USERS.iago.password)).toBe(200); // the proxy itself
  });

  it("reads an X-Forwarded-For that carries the client's port (Azure Application Gateway, IIS ARR) as the client's address", async () => {
    for (let i = 0; i < 5; i++) expect(await via("127.0.0.1", { "x-forwarded-for": `198.51.100.20:${4000 + i}` }, "wrong-password")).toBe(401);
    expect(await via("127.0.0.1", { "x-forwarded-for": "198.51.100.20:5000" }, USERS.iago.password)).toBe(429);
    // Not the proxy's own address: another client behind it, and the proxy itself, are not limited.
    expect(await via("127.0.0.1", { "x-forwarded-for": "198.51.100.21:4000" }, USERS.iago.password)).toBe(200);
    expect(await via("127.0.0.1", {}, USERS.iago.password)).toBe(200);
    for (let i = 0; i < 5; i++) expect(await via("127.0.0.1", { "x-forwarded-for": `[2001:db8:9:1::${i + 1}]:443` }, "wrong-password")).toBe(401);
    expect(await via("127.0.0.1", { "x-forwarded-for": "[2001:db8:9:1::77]:443" }, USERS.iago.password)).toBe(429);
    expect(await via("127.0.0.1", { "x-forwarded-for": "[2001:db8:9:2::1]:443" }, USERS.iago.password)).toBe(200);
  });

  it("with --proxy-header forwarded, believes Forwarded only, grouping IPv6 by /64", async () => {
    const where = sqlite();
    await seed(where);
    const forwarded = await start(where, { config: { trustedProxies: ["127.0.0.1"], proxyHeader: "forwarded" } });
    const viaForwarded = async (headers: Record<string, string>, password: string) =>
      (
        await conformant(
          "fetch-api-key",
          (
            await fromAddress(forwarded.url, "127.0.0.1", { path: PATH, host: "zulip.test", headers, form: { username: USERS.iago.email, password } })
          ).response,
        )
      ).status;
    for (let i = 0; i < 5; i++) expect(await viaForwarded({ forwarded: `for="[2001:db8:5:6::${i + 1}]:4711"` }, "wrong-password")).toBe(401);
    expect(await viaForwarded({ forwarded: 'for="[2001:db8:5:6:abcd::9]"' }, USERS.iago.password)).toBe(429);
    expect(await viaForwarded({ forwarded: 'for="[2001:db8:5:7::1]"' }, USERS.iago.password)).toBe(200);
    // An X-Forwarded-For the client sent is not read here.
    expect(await viaForwarded({ forwarded: 'for="[2001:db8:5:6::1]"', "x-forwarded-for": "203.0.113.77" }, USERS.iago.password)).toBe(429);
  });

  it("refuses a --trusted-proxies list it cannot read", async () => {
    const r = await runCli(["serve", "--port", "0", "--trusted-proxies", "10.0.0.0/99"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--trusted-proxies");
  });
});

describe("zulip-auth serve with the new options", () => {
  it("--uniform-errors and --rate-limit off: a deactivated user gets the wrong-password 401, with no (a) headers", async () => {
    const where = sqlite();
    await seed(where);
    const server = await startServerProcess([
      "serve",
      "--port",
      "0",
      "--db",
      where.db,
      "--root-domain",
      "zulip.test",
      "--uniform-errors",
      "--rate-limit",
      "off",
      "--argon2",
      "m=1024,t=1,p=1",
    ]);
    try {
      const answer = await fromAddress(server.url, "127.0.0.50", {
        path: PATH,
        host: "zulip.test",
        form: { username: "retired@zulip.com", password: "retired-Strong-77" },
      });
      const r = await conformant<Body>("fetch-api-key", answer.response);
      expect(r.status).toBe(401);
      expect(r.body.code).toBe("AUTHENTICATION_FAILED");
      expect(r.headers.get("x-ratelimit-limit")).toBeNull();
    } finally {
      await server.stop();
    }
  });
});

describe("the bounded hash queue, on the wire", () => {
  it("answers an address past its share 429 (Retry-After 1), a full queue 503, and still serves another address", async () => {
    const where = sqlite();
    await seed(where);
    // Users hashed with TEST_HASH would be rehashed; the slow parameters only cost the wrong guesses.
    const server = await start(where, {
      limits: { userAddress: null, address: null, user: null },
      slowHash: true,
      // No wait for a share: an address past it is refused at once.
      hashQueue: { concurrency: 1, maxQueued: 3, perAddress: 2, shareWaitMs: 0 },
    });
    const flood = await Promise.all(Array.from({ length: 8 }, (_, i) => login(server, "127.0.0.60", `flood${i}@zulip.com`, "wrong-password")));
    const statuses = flood.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    const refused = flood.find((a) => a.status === 429)!;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.body["retry-after"]).toBe(1);
    // Three addresses at once fill the whole queue (one running, three waiting): the rest are told to come back.
    const many = await Promise.all(Array.from({ length: 6 }, (_, i) => login(server, `127.0.0.${70 + i}`, `many${i}@zulip.com`, "wrong-password")));
    const busy = many.find((a) => a.status === 503);
    expect(busy, many.map((a) => a.status).join(",")).toBeDefined();
    expect(busy!.body).toEqual({ result: "error", msg: "The server is busy; try again shortly", code: "SERVICE_UNAVAILABLE" });
    expect(busy!.headers.get("retry-after")).toBe("5");
    expect((await login(server, "127.0.0.61", USERS.iago.email, USERS.iago.password)).status).toBe(200);
  });
});
