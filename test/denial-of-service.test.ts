import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { HashClient } from "../src/auth/hash-queue.ts";
import { PasswordHasher } from "../src/auth/password-hasher.ts";
import { DEFAULT_CONFIG } from "../src/server/config.ts";
import { edge } from "../src/server/edge.ts";
import { createLogger } from "../src/server/logger.ts";
import { listen } from "../src/server/start.ts";
import { openStore } from "../src/store/open.ts";
import { conformant, createTestServer, TEST_HASH, USERS } from "./helpers/harness.ts";
import { fromAddress } from "./helpers/loopback.ts";
import { startServerProcess } from "./helpers/process.ts";
import { createDatabase, missingServices, need, redisDatabase } from "./helpers/service-env.ts";
import { FETCH_API_KEY, login, seed, sqlite, start, type Where } from "./helpers/wire.ts";

// What an attacker tries against `serve`, over real sockets, each client bound to its own loopback address.

/**
 * What tells one answer from another apart from values that change each time (X-Request-Id, X-RateLimit-*,
 * retry-after): its status, header names, and the body's keys and `code`.
 */
function shapeOf(status: number, headers: Headers, bodyText: string): string {
  let body = bodyText;
  try {
    const parsed = JSON.parse(bodyText) as Record<string, unknown>;
    body = `${Object.keys(parsed).sort().join(",")} ${String(parsed.code ?? "")}`;
  } catch {}
  return `${status} ${[...headers.keys()].sort().join(",")} ${body}`;
}

/**
 * Keeps `perAddress` logins in flight from each address until stopped; counts the answers by status and keeps
 * the first answer of each shape (`shapeOf`) in `distinct`, for `conformant` once the flood is over: validating
 * each answer as it comes (a millisecond or more apiece) would hold up the flood's client.
 */
function flood(url: string, addresses: string[], perAddress: number, username: string, password: string) {
  const counts: Record<number, number> = {};
  const distinct = new Map<string, Response>();
  let answered = 0;
  let stopped = false;
  let onAnswer = () => {};
  const agents = addresses.map((localAddress) => new Agent({ keepAlive: true, maxSockets: perAddress, localAddress }));
  const body = new URLSearchParams({ username, password }).toString();
  const one = (agent: Agent) => {
    if (stopped) return;
    const req = request(
      `${url}${FETCH_API_KEY}`,
      {
        method: "POST",
        agent,
        headers: { host: "zulip.test", "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let bodyText = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (bodyText += d));
        res.on("end", () => {
          const status = res.statusCode!;
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
          const shape = shapeOf(status, headers, bodyText);
          if (!distinct.has(shape)) distinct.set(shape, new Response(bodyText, { status, headers }));
          counts[status] = (counts[status] ?? 0) + 1;
          answered += 1;
          onAnswer();
          one(agent);
        });
      },
    );
    req.on("error", () => setImmediate(() => one(agent)));
    req.end(body);
  };
  for (const agent of agents) for (let i = 0; i < perAddress; i++) one(agent);
  return {
    counts,
    distinct,
    /** Resolves once the flood has had `n` answers. */
    answered: (n: number) =>
      new Promise<void>((resolve) => {
        onAnswer = () => answered >= n && resolve();
        onAnswer();
      }),
    stop() {
      stopped = true;
      for (const agent of agents) agent.destroy();
    },
  };
}

describe("fair hashing", () => {
  it("a real user logs in within 2 s while one valid account floods from 10 addresses × 10 connections (success limits off)", {
    timeout: 120_000,
  }, async () => {
    const where = sqlite();
    await seed(where);
    // A real `serve` process at its default argon2 parameters, alone on its event loop; every limit but the
    // hash queue's fairness is off for the flooder's successes, the worst case.
    const server = await startServerProcess(["serve", "--port", "0", "--db", where.db, "--success-rate-limit", "off", "--address-success-rate-limit", "off"]);
    const addresses = Array.from({ length: 10 }, (_, i) => `127.0.1.${i + 1}`);
    // A warm server: the real user's first login (its hash rehashed to today's parameters, the password
    // policy's dictionaries loaded) is behind them.
    expect((await login(server, "127.0.2.1", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
    const flooder = flood(server.url, addresses, 10, USERS.iago.email, USERS.iago.password);
    try {
      await flooder.answered(200);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const answer = await login(server, "127.0.2.1", USERS.hamlet.email, USERS.hamlet.password);
        times.push(performance.now() - started);
        expect(answer.status, answer.text).toBe(200);
      }
      // The bound: each real login within 2 s while the flood goes on.
      expect(Math.max(...times), times.map((t) => t.toFixed(0)).join(", ")).toBeLessThanOrEqual(2_000);
      // The flood's answers conform to the contract: one of each shape, every status among them.
      flooder.stop();
      for (const answer of flooder.distinct.values()) await conformant("fetch-api-key", answer);
      // The flood was held to its share: told to wait (429), never served so much that others got 503.
      expect(flooder.counts[429] ?? 0).toBeGreaterThan(0);
      expect(flooder.counts[503] ?? 0).toBe(0);
    } finally {
      flooder.stop();
      await server.stop();
    }
  });

  it("holds one user to a share of the queue from any number of addresses: 429, while another user logs in", async () => {
    const where = sqlite();
    await seed(where);
    const server = await start(where, {
      limits: { userAddress: null, address: null, user: null, userSuccess: null, addressSuccess: null },
      slowHash: true,
      // No wait for a share: a login past it is refused at once.
      hashQueue: { concurrency: 1, maxQueued: 8, perAddress: 4, perUser: 2, shareWaitMs: 0 },
    });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => login(server, `127.0.3.${i + 1}`, USERS.iago.email, "wrong-password")));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length, answers.map((a) => a.status).join(",")).toBeGreaterThanOrEqual(1);
    expect(refused[0]!.headers.get("retry-after")).toBe("1");
    expect(refused[0]!.body.code).toBe("RATE_LIMIT_HIT");
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
    expect((await login(server, "127.0.3.20", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
  });

  it("limits successful logins per user (d) and per address (e) with Zulip's RATE_LIMIT_HIT", async () => {
    const where = sqlite();
    await seed(where);
    const server = await start(where, { limits: { userSuccess: { attempts: 3, windowSeconds: 600 }, addressSuccess: { attempts: 5, windowSeconds: 600 } } });
    for (let i = 0; i < 3; i++) expect((await login(server, `127.0.4.${i + 1}`, USERS.iago.email, USERS.iago.password)).status).toBe(200);
    // From any address, the user has had their share of successes for now.
    const refused = await login(server, "127.0.4.9", USERS.iago.email, USERS.iago.password);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("RATE_LIMIT_HIT");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(500);
    // Failures do not use it up: hamlet fails twice, then succeeds five times from one address; the sixth is (e)'s.
    for (let i = 0; i < 2; i++) expect((await login(server, "127.0.4.20", USERS.hamlet.email, "wrong-password")).status).toBe(401);
    expect((await login(server, "127.0.4.20", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
    expect((await login(server, "127.0.4.20", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
    expect((await login(server, "127.0.4.20", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
    expect((await login(server, "127.0.4.20", USERS.cordelia.email, USERS.cordelia.password, "lear.zulip.test")).status).toBe(200);
    expect((await login(server, "127.0.4.20", "retired@zulip.com", "wrong-password")).status).toBe(401);
    expect((await login(server, "127.0.4.20", USERS.cordelia.email, USERS.cordelia.password, "lear.zulip.test")).status).toBe(200);
    expect((await login(server, "127.0.4.20", USERS.cordelia.email, USERS.cordelia.password, "lear.zulip.test")).status).toBe(429);
  });
});

describe("no lock-out by strangers", () => {
  const MISSING_REDIS = missingServices("redis");
  const MISSING_POSTGRES = missingServices("postgres");
  for (const kind of ["sqlite", "postgres", "redis"] as const) {
    it(`a user logs in from their last successful address after 20 addresses × 5 failures (${kind})`, async (ctx) => {
      if (kind === "redis") need(ctx, MISSING_REDIS);
      if (kind === "postgres") need(ctx, MISSING_POSTGRES);
      const pg = kind === "postgres" ? await createDatabase() : undefined;
      const where: Where = { ...sqlite(), ...(pg ? { databaseUrl: pg.url } : {}), ...(kind === "redis" ? { redisUrl: await redisDatabase(5) } : {}) };
      try {
        await seed(where);
        const server = await start(where);
        expect((await login(server, "127.0.5.1", USERS.iago.email, USERS.iago.password)).status).toBe(200);
        for (let a = 0; a < 20; a++)
          for (let i = 0; i < 5; i++) expect((await login(server, `127.0.6.${a + 1}`, USERS.iago.email, `guess-${a}-${i}`)).status).toBe(401);
        // (c) is full: a new address is refused, the user's own is not.
        expect((await login(server, "127.0.5.2", USERS.iago.email, USERS.iago.password)).status).toBe(429);
        expect((await login(server, "127.0.5.1", USERS.iago.email, USERS.iago.password)).status).toBe(200);
        // (a) still holds at the user's own address.
        for (let i = 0; i < 5; i++) expect((await login(server, "127.0.5.1", USERS.iago.email, "wrong-password")).status).toBe(401);
        expect((await login(server, "127.0.5.1", USERS.iago.email, USERS.iago.password)).status).toBe(429);
      } finally {
        await pg?.drop();
      }
    });
  }

  it("empty passwords cost no hash and do not count toward (b) or (c)", async () => {
    const where = sqlite();
    await seed(where);
    const server = await start(where);
    for (let a = 0; a < 20; a++) for (let i = 0; i < 5; i++) expect((await login(server, `127.0.7.${a + 1}`, USERS.iago.email, "")).status).toBe(401);
    // A new address: (c) is empty, (a) of that address too.
    expect((await login(server, "127.0.7.99", USERS.iago.email, USERS.iago.password)).status).toBe(200);
    // (a) still counts them: a sixth from one of those addresses is refused.
    expect((await login(server, "127.0.7.1", USERS.iago.email, "")).status).toBe(429);
    // (b) does not: one address sends 40 empty passwords over 40 usernames, then logs in.
    for (let i = 0; i < 40; i++) expect((await login(server, "127.0.7.100", `sprayed${i}@zulip.com`, "")).status).toBe(401);
    expect((await login(server, "127.0.7.100", USERS.hamlet.email, USERS.hamlet.password)).status).toBe(200);
  });
});

/** A hasher that, when asked, holds the next client verification's result until the test releases it. */
class GatedHasher extends PasswordHasher {
  private gate: { verified: () => void; wait: Promise<void> } | undefined;

  /** Holds the next verification: `verified` resolves once it is done, `release` lets the login go on. */
  holdNext() {
    let verified!: () => void;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (verified = resolve));
    this.gate = { verified, wait: new Promise<void>((resolve) => (release = resolve)) };
    return { verified: done, release };
  }

  override async verify(stored: string, password: string, from?: HashClient | string): Promise<boolean> {
    const matched = await super.verify(stored, password, from);
    const gate = this.gate;
    if (gate && from !== undefined) {
      this.gate = undefined;
      gate.verified();
      await gate.wait;
    }
    return matched;
  }
}

describe("deactivation is immediate", () => {
  it("a login whose hash ends after the user was deactivated, their password set or their key regenerated gets no key", async () => {
    const hasher = new GatedHasher(TEST_HASH);
    const s = await createTestServer({ hasher, limits: {} });
    const quiet = createLogger(new Writable({ write: (_c, _e, done) => done() }));
    const server = await listen(edge({ logger: quiet, config: DEFAULT_CONFIG }, s.app.fetch, []), {
      port: 0,
      host: "127.0.0.1",
      store: s.store,
      logger: quiet,
      headersTimeoutMs: 5_000,
      requestTimeoutMs: 10_000,
    });
    try {
      const cases = [
        { user: USERS.iago, change: () => s.admin.setUserActive("", USERS.iago.email, false), code: "USER_DEACTIVATED" },
        { user: USERS.hamlet, change: () => s.admin.setPassword("", USERS.hamlet.email, "another-Strong-pass-88"), code: "AUTHENTICATION_FAILED" },
        { user: USERS.cordelia, change: () => s.admin.regenerateKey("lear", USERS.cordelia.email), code: "AUTHENTICATION_FAILED" },
      ];
      for (const { user, change, code } of cases) {
        const host = user.org === "lear" ? "lear.zulip.test" : "zulip.test";
        const held = hasher.holdNext();
        const answer = login(server, "127.0.8.1", user.email, user.password, host);
        // The password is verified; before the login goes on, the operator's command runs to its end.
        await held.verified;
        await change();
        held.release();
        const result = await answer;
        expect(result.status, result.text).toBe(401);
        expect(result.body.code).toBe(code);
        expect(result.text).not.toContain("api_key");
      }
      // Without a change in between, the same gate lets the login through with the key it has now.
      const held = hasher.holdNext();
      const answer = login(server, "127.0.8.1", USERS.cordelia.email, USERS.cordelia.password, "lear.zulip.test");
      await held.verified;
      held.release();
      const ok = await answer;
      expect(ok.status).toBe(200);
      expect(ok.body.api_key).toBe((await s.store.findUser((await s.store.findOrganization("lear"))!.id, USERS.cordelia.email))!.api_key);
    } finally {
      await server.close();
    }
  });
});

describe("connections", () => {
  /** Opens a connection from `from` and resolves once the server accepted it or closed it. */
  function open(url: string, from: string): Promise<{ socket: Socket; closed: Promise<void> }> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port), localAddress: from }, () => {
        const closed = new Promise<void>((r) => socket.once("close", () => r()));
        resolve({ socket, closed });
      });
      socket.once("error", reject);
    });
  }

  it("caps open connections per address (a trusted proxy apart) and in total", async () => {
    const where = sqlite();
    await seed(where);
    const server = await start(where, { config: { maxConnections: 6, maxConnectionsPerAddress: 3, trustedProxies: ["127.0.9.9"] } });
    const held = await Promise.all([1, 2, 3].map(() => open(server.url, "127.0.9.1")));
    // The fourth from that address is closed before anything is read from it.
    const fourth = await open(server.url, "127.0.9.1");
    await fourth.closed;
    // Another address is served meanwhile.
    const settings = (from: string) => fromAddress(server.url, from, { path: "/api/v1/server_settings", host: "zulip.test", agent: new Agent() });
    expect((await conformant("get-server-settings", (await settings("127.0.9.2")).response)).status).toBe(200);
    // A trusted proxy may open more than three, up to the total.
    const proxy = await Promise.all([1, 2, 3].map(() => open(server.url, "127.0.9.9")));
    const overTotal = await open(server.url, "127.0.9.3");
    await overTotal.closed;
    for (const c of [...held, ...proxy]) c.socket.destroy();
    await Promise.all([...held, ...proxy].map((c) => c.closed));
    expect((await conformant("get-server-settings", (await settings("127.0.9.1")).response)).status).toBe(200);
  });
});

describe("a proxy without --trusted-proxies", () => {
  it("logs one warning per process naming --trusted-proxies; none when proxies are trusted", async () => {
    const lines: string[] = [];
    const logger = createLogger(new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }), "info");
    const where = sqlite();
    await seed(where);
    const server = await start(where, { logger });
    const settings = (from: string, headers: Record<string, string>) =>
      fromAddress(server.url, from, { path: "/api/v1/server_settings", host: "zulip.test", headers, agent: new Agent() });
    await settings("127.0.10.1", {});
    expect(lines.filter((l) => l.includes("--trusted-proxies"))).toEqual([]);
    await settings("127.0.10.1", { "x-forwarded-for": "203.0.113.5" });
    await settings("127.0.10.2", { forwarded: "for=203.0.113.6" });
    const warnings = lines.filter((l) => l.includes("--trusted-proxies"));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, peer: "127.0.10.1", header: "X-Forwarded-For" });

    const trustedLines: string[] = [];
    const trusting = await start(where, {
      logger: createLogger(new Writable({ write: (chunk, _e, done) => (trustedLines.push(String(chunk)), done()) }), "info"),
      config: { trustedProxies: ["loopback"] },
    });
    await fromAddress(trusting.url, "127.0.10.3", { path: "/api/v1/server_settings", host: "zulip.test", headers: { "x-forwarded-for": "203.0.113.5" } });
    expect(trustedLines.filter((l) => l.includes("--trusted-proxies"))).toEqual([]);
  });
});

describe("the audit trail under a flood", () => {
  it("10,000 junk usernames from one address add a few hundred rows at most, counting every attempt", { timeout: 120_000 }, async () => {
    const where = sqlite();
    await seed(where);
    const server = await start(where);
    const agent = new Agent({ keepAlive: true, maxSockets: 20, localAddress: "127.0.11.1" });
    const TOTAL = 10_000;
    let sent = 0;
    const statuses: Record<number, number> = {};
    // One answer of each shape, for `conformant` once the flood is over (validating all 10,000 takes too long).
    const distinct = new Map<string, Response>();
    const worker = async () => {
      while (sent < TOTAL) {
        const i = sent++;
        // Half are not email addresses (400 before any check), half are unknown users (checked, then (b)'s 429).
        const username = i % 2 === 0 ? `junk-${i}` : `junk-${i}@zulip.com`;
        const answer = await fromAddress(server.url, "127.0.11.1", {
          path: FETCH_API_KEY,
          host: "zulip.test",
          form: { username, password: "Winter2026!" },
          agent,
        });
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        const shape = shapeOf(answer.status, answer.response.headers, answer.text);
        if (!distinct.has(shape)) distinct.set(shape, answer.response);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    agent.destroy();
    for (const answer of distinct.values()) await conformant("fetch-api-key", answer);
    // Closing writes every waiting row, the collapsed ones still counting included.
    await server.close();
    const again = await openStore({ sqlitePath: where.db });
    const written = await again.db.selectFrom("login_attempts").select(["outcome", "count", "username"]).where("ip", "=", "127.0.11.1").execute();
    await again.close();
    expect(written.length, JSON.stringify(statuses)).toBeLessThanOrEqual(300);
    expect(written.reduce((sum, r) => sum + r.count, 0)).toBe(TOTAL);
    // Every attempt that reached password checking is its own row: (b) let 30 through.
    const checked = written.filter((r) => r.outcome === "AUTHENTICATION_FAILED");
    expect(checked).toHaveLength(30);
    expect(checked.every((r) => r.count === 1 && r.username.endsWith("@zulip.com"))).toBe(true);
    // The refusals are collapsed: the usernames differ, so the row says "*".
    const collapsed = written.filter((r) => r.count > 1);
    expect(collapsed.map((r) => r.outcome).sort()).toEqual(expect.arrayContaining(["BAD_REQUEST", "RATE_LIMIT_HIT"]));
    expect(collapsed.every((r) => r.username === "*")).toBe(true);
  });
});
