import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { normalizeOutcome, parseSince } from "../src/admin/audit.ts";
import { LoginLimiter, usernameKey } from "../src/auth/login-limiter.ts";
import { DEFAULT_LIMIT_RULES } from "../src/auth/rate-limit.ts";
import { SqlAttemptLog } from "../src/auth/sql-attempt-log.ts";
import { visible } from "../src/cli/visible.ts";
import { createLogger } from "../src/server/logger.ts";
import { AuditWriter } from "../src/store/audit-writer.ts";
import type { NewLoginAttempt } from "../src/store/schema.ts";
import { openSqliteStore } from "../src/store/sqlite.ts";
import { conformant, createTestServer, form, multipart, USERS } from "./helpers/harness.ts";
import { runCli, startServerProcess } from "./helpers/process.ts";
import { untilDatabaseShows } from "./helpers/watch.ts";

const MOBILE = "ZulipMobile/27.1 (Android 14)";

/** A request's init with more headers, keeping the body's own (its Content-Type). */
const withHeaders = (init: RequestInit, headers: Record<string, string> = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), ...headers },
});

/** A successful attempt by user `n` at `time` (ms), as the routes record one. */
const attemptRow = (n: number, time: number): NewLoginAttempt => ({
  time: new Date(time).toISOString(),
  organization: "",
  endpoint: "fetch_api_key",
  username: `u${n}@zulip.com`,
  user_id: null,
  ip: "192.0.2.1",
  client: "",
  outcome: "success",
  request_id: `r${n}`,
});

describe("the login audit trail", () => {
  it("keeps what a client chooses short: the organization to one DNS label", async () => {
    const s = await createTestServer({ audit: true });
    const long = "a".repeat(5000);
    const answer = await conformant(
      "fetch-api-key",
      await s.request("/api/v1/fetch_api_key", { ...form({ username: USERS.iago.email, password: "x-1" }), host: `${long}.zulip.test` }),
    );
    expect(answer.status).toBe(404);
    await s.audit!.flush();
    const [row] = await s.store.listLoginAttempts({ limit: 1 });
    expect(row).toMatchObject({ organization: "a".repeat(63), outcome: "NONEXISTENT_SUBDOMAIN" });
  });

  it("records every attempt on both login endpoints: organization, normalised username, user id, address, client, outcome, request id", async () => {
    const s = await createTestServer({ audit: true, limits: {}, config: { devMode: true } });
    const ids: string[] = [];
    const call = async (operation: "fetch-api-key" | "dev-fetch-api-key", path: string, init: RequestInit & { host?: string; address?: string }) => {
      const answer = await conformant(operation, await s.request(path, init));
      ids.push(answer.headers.get("x-request-id")!);
      return answer;
    };
    const login = (username: string, password: string, extra: { host?: string; address?: string; headers?: Record<string, string> } = {}) =>
      call("fetch-api-key", "/api/v1/fetch_api_key", {
        ...withHeaders(form({ username, password }), extra.headers),
        ...(extra.host ? { host: extra.host } : {}),
        ...(extra.address ? { address: extra.address } : {}),
      });

    await login(USERS.iago.email, "wrong-password", { address: "192.0.2.7", headers: { "user-agent": MOBILE } });
    await login("IAGO@Zulip.com", USERS.iago.password, { address: "192.0.2.7", headers: { "user-agent": MOBILE } });
    await login("nobody@zulip.com", "whatever-1");
    await login(USERS.cordelia.email, USERS.cordelia.password, { host: "lear.zulip.test", address: "2001:db8::5" });
    await login(USERS.othello.email, USERS.othello.password, { host: "gone.zulip.test" });
    await login(USERS.iago.email, USERS.iago.password, { host: "nosuch.zulip.test" });
    await call("fetch-api-key", "/api/v1/fetch_api_key", form({ password: "no-username-77" }));
    await call(
      "dev-fetch-api-key",
      "/api/v1/dev_fetch_api_key",
      withHeaders(form({ username: USERS.hamlet.email }), { "user-agent": "ZulipTerminal/0.7.0 Python" }),
    );
    expect(s.audit!.pending).toBe(8);
    await s.audit!.flush();
    expect(s.audit!.pending).toBe(0);

    const users = Object.fromEntries((await s.store.listUsers()).map((u) => [u.email, u.id]));
    const rows = (await s.store.listLoginAttempts({ limit: 100 })).reverse();
    // Refusals before password checking (an unknown organization, a missing username) are collapsed rows of
    // one attempt each here: each is alone in its address's window for its outcome.
    expect(rows.map(({ id: _id, time: _time, ...rest }) => rest)).toEqual([
      {
        organization: "",
        endpoint: "fetch_api_key",
        username: "iago@zulip.com",
        user_id: users["iago@zulip.com"],
        ip: "192.0.2.7",
        client: "ZulipMobile",
        outcome: "AUTHENTICATION_FAILED",
        count: 1,
        last_time: null,
        request_id: ids[0],
      },
      {
        organization: "",
        endpoint: "fetch_api_key",
        username: "iago@zulip.com",
        user_id: users["iago@zulip.com"],
        ip: "192.0.2.7",
        client: "ZulipMobile",
        outcome: "success",
        count: 1,
        last_time: null,
        request_id: ids[1],
      },
      {
        organization: "",
        endpoint: "fetch_api_key",
        username: "nobody@zulip.com",
        user_id: null,
        ip: "127.0.0.1",
        client: "",
        outcome: "AUTHENTICATION_FAILED",
        count: 1,
        last_time: null,
        request_id: ids[2],
      },
      {
        organization: "lear",
        endpoint: "fetch_api_key",
        username: "cordelia@zulip.com",
        user_id: users["cordelia@zulip.com"],
        ip: "2001:db8::5",
        client: "",
        outcome: "success",
        count: 1,
        last_time: null,
        request_id: ids[3],
      },
      {
        organization: "gone",
        endpoint: "fetch_api_key",
        username: "othello@zulip.com",
        user_id: users["othello@zulip.com"],
        ip: "127.0.0.1",
        client: "",
        outcome: "REALM_DEACTIVATED",
        count: 1,
        last_time: null,
        request_id: ids[4],
      },
      {
        organization: "nosuch",
        endpoint: "fetch_api_key",
        username: "iago@zulip.com",
        user_id: null,
        ip: "127.0.0.1",
        client: "",
        outcome: "NONEXISTENT_SUBDOMAIN",
        count: 1,
        last_time: null,
        request_id: ids[5],
      },
      {
        organization: "",
        endpoint: "fetch_api_key",
        username: "",
        user_id: null,
        ip: "127.0.0.1",
        client: "",
        outcome: "REQUEST_VARIABLE_MISSING",
        count: 1,
        last_time: null,
        request_id: ids[6],
      },
      {
        organization: "",
        endpoint: "dev_fetch_api_key",
        username: "hamlet@zulip.com",
        user_id: users["hamlet@zulip.com"],
        ip: "127.0.0.1",
        client: "ZulipTerminal",
        outcome: "success",
        count: 1,
        last_time: null,
        request_id: ids[7],
      },
    ]);
    for (const row of rows) expect(Date.parse(row.time)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("holds no password, API key or Authorization value, whatever the request carried", async () => {
    const s = await createTestServer({ audit: true, limits: {} });
    const authorization = `Basic ${btoa(`${USERS.iago.email}:not-a-real-key-but-secret`)}`;
    const secrets = new Set<string>([authorization.slice(6), "not-a-real-key-but-secret"]);
    for (const u of Object.values(USERS)) {
      secrets.add(u.password);
      const host = u.org ? `${u.org}.zulip.test` : "zulip.test";
      for (const init of [form({ username: u.email, password: u.password }), multipart({ username: u.email, password: u.password })]) {
        await conformant(
          "fetch-api-key",
          await s.request("/api/v1/fetch_api_key", { ...withHeaders(init, { authorization, "user-agent": `ZulipMobile/27.1 ${u.password}` }), host }),
        );
      }
      await conformant(
        "fetch-api-key",
        await s.request(`/api/v1/fetch_api_key?username=${encodeURIComponent(u.email)}&password=${encodeURIComponent(u.password)}`, { method: "POST", host }),
      );
      await conformant("fetch-api-key", await s.request("/api/v1/fetch_api_key", { ...form({ username: u.email, password: `${u.password}-wrong` }), host }));
    }
    // A password sent in the username field is what a user typed: it is recorded as the username it was sent as.
    for (let i = 0; i < 7; i++)
      await conformant("fetch-api-key", await s.request("/api/v1/fetch_api_key", form({ username: USERS.hamlet.email, password: USERS.hamlet.password })));
    await s.audit!.flush();
    for (const u of await s.store.listUsers()) secrets.add(u.api_key);
    const rows = await s.store.listLoginAttempts({ limit: 1000 });
    expect(rows.length).toBe(Object.keys(USERS).length * 4 + 7);
    const text = JSON.stringify(rows);
    for (const secret of secrets) expect(text.includes(secret), `a secret (${secret.length} characters) reached the audit trail`).toBe(false);
    expect(text.toLowerCase()).not.toContain("basic");
  });

  it("caps what a client can make it store: a username at 254 characters, a client name at 64", async () => {
    const s = await createTestServer({ audit: true });
    const username = `${"a".repeat(60_000)}@zulip.com`;
    const answer = await conformant(
      "fetch-api-key",
      await s.request("/api/v1/fetch_api_key", withHeaders(form({ username, password: "x" }), { "user-agent": "Z".repeat(10_000) })),
    );
    expect(answer.status).toBe(400);
    await s.audit!.flush();
    const [row] = await s.store.listLoginAttempts({ limit: 10 });
    expect([row!.username.length, row!.client.length, row!.outcome]).toEqual([254, 64, "BAD_REQUEST"]);
  });

  it("answers a login without waiting for the audit write, even when the write never finishes", async () => {
    const s = await createTestServer({ audit: true });
    s.store.recordLoginAttempts = () => new Promise(() => {});
    for (let i = 0; i < 3; i++) {
      const answer = await conformant(
        "fetch-api-key",
        await s.request("/api/v1/fetch_api_key", form({ username: USERS.iago.email, password: USERS.iago.password })),
      );
      expect(answer.status).toBe(200);
      void s.audit!.flush();
    }
  });

  it("a failed write neither fails a login nor loses its rows: they wait (bounded) and are written once the database answers", async () => {
    const lines: string[] = [];
    const logger = createLogger(new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) }), "info");
    const store = await openSqliteStore(":memory:");
    const writer = new AuditWriter(store, { logger, retentionDays: 90, batchSize: 2, maxBuffered: 3 });
    const real = store.recordLoginAttempts.bind(store);
    store.recordLoginAttempts = () => Promise.reject(new Error("disk I/O error"));
    const row = (n: number) => attemptRow(n, Date.now() + n);
    for (let n = 0; n < 5; n++) writer.record(row(n));
    await writer.flush();
    expect(writer.pending).toBe(3);
    expect(lines.filter((l) => l.includes("could not write the audit trail"))).toHaveLength(1);

    // The server's login path with the same failure: still a 200.
    const s = await createTestServer({ audit: true });
    s.store.recordLoginAttempts = () => Promise.reject(new Error("disk I/O error"));
    expect(
      (await conformant("fetch-api-key", await s.request("/api/v1/fetch_api_key", form({ username: USERS.iago.email, password: USERS.iago.password })))).status,
    ).toBe(200);
    await s.audit!.flush();
    expect(s.audit!.pending).toBe(1);

    store.recordLoginAttempts = real;
    await writer.close();
    expect(writer.pending).toBe(0);
    expect((await store.listLoginAttempts({ limit: 10 })).map((r) => r.username).sort()).toEqual(["u0@zulip.com", "u1@zulip.com", "u2@zulip.com"]);
    expect(lines.some((l) => l.includes('"dropped":2'))).toBe(true);
    await store.close();
  });

  it("keeps the trail --audit-retention days: older rows are pruned", async () => {
    const store = await openSqliteStore(":memory:");
    const writer = new AuditWriter(store, { logger: createLogger(new Writable({ write: (_c, _e, done) => done() }), "info"), retentionDays: 30 });
    const day = 86_400_000;
    const now = Date.now();
    for (const [n, age] of [
      [1, 31],
      [2, 29],
      [3, 0],
    ] as const) {
      writer.record(attemptRow(n, now - age * day));
    }
    await writer.flush();
    expect(await writer.prune(now)).toBe(1);
    expect((await store.listLoginAttempts({ limit: 10 })).map((r) => r.username)).toEqual(["u3@zulip.com", "u2@zulip.com"]);
    await writer.close();
    await store.close();
  });

  it("--since takes a duration or a date; --outcome any case", () => {
    const now = Date.parse("2026-11-29T12:00:00.000Z");
    expect(parseSince("1h", now)).toBe("2026-11-29T11:00:00.000Z");
    expect(parseSince("30m", now)).toBe("2026-11-29T11:30:00.000Z");
    expect(parseSince("7d", now)).toBe("2026-11-22T12:00:00.000Z");
    expect(parseSince("2026-11-01", now)).toBe("2026-11-01T00:00:00.000Z");
    expect(parseSince("2026-11-01T08:30Z", now)).toBe("2026-11-01T08:30:00.000Z");
    for (const bad of ["", "1y", "yesterday", "2026-13-45", "-1h"]) expect(() => parseSince(bad, now)).toThrow(/expected a duration/);
    expect(normalizeOutcome("Success")).toBe("success");
    expect(normalizeOutcome("authentication_failed")).toBe("AUTHENTICATION_FAILED");
  });
});

describe("zulip-auth audit, after a real server's logins", () => {
  it("lists a wrong login, a right one and an unknown user's, newest first, as JSON or a table, filtered, with no secret", { timeout: 60_000 }, async () => {
    const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-audit-")), "audit.sqlite");
    const password = "Sup3r-secret-pass";
    await runCli(["org", "add", "", "--db", db]);
    await runCli(["user", "add", "iago@zulip.com", "--password-stdin", "--db", db], { stdin: password });
    // A row older than the retention, from an earlier run: the server prunes it when it starts.
    const store = await openSqliteStore(db);
    await store.recordLoginAttempts([
      {
        time: new Date(Date.now() - 31 * 86_400_000).toISOString(),
        organization: "",
        endpoint: "fetch_api_key",
        username: "old@zulip.com",
        user_id: null,
        ip: "192.0.2.1",
        client: "",
        outcome: "success",
        request_id: "old",
      },
    ]);
    await store.close();
    const server = await startServerProcess(["serve", "--port", "0", "--db", db, "--audit-retention", "30"]);
    const attempt = (username: string, pw: string) =>
      fetch(`${server.url}/api/v1/fetch_api_key`, withHeaders(form({ username, password: pw }), { "User-Agent": MOBILE }));
    let key: string;
    try {
      expect((await conformant("fetch-api-key", await attempt("iago@zulip.com", "Wrong-pass-123"))).status).toBe(401);
      key = (await conformant<{ api_key: string }>("fetch-api-key", await attempt("Iago@zulip.com", password))).body.api_key;
      expect((await conformant("fetch-api-key", await attempt("nobody@zulip.com", "Nobody-pass-123"))).status).toBe(401);
      // Written by the batching writer while the server runs (within its one-second interval): the wait ends at
      // the write that brings the third row.
      await untilDatabaseShows(db, async () => (JSON.parse((await runCli(["audit", "--json", "--db", db])).stdout) as unknown[]).length === 3);
    } finally {
      expect(await server.stop()).toBe(0);
    }

    const json = await runCli(["audit", "--json", "--db", db]);
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(entries.map((e) => [e.username, e.outcome])).toEqual([
      ["nobody@zulip.com", "AUTHENTICATION_FAILED"],
      ["iago@zulip.com", "success"],
      ["iago@zulip.com", "AUTHENTICATION_FAILED"],
    ]);
    for (const e of entries) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(["time", "organization", "username", "user_id", "ip", "client", "outcome", "request_id"]));
      expect(e).toMatchObject({ organization: "", ip: "127.0.0.1", client: "ZulipMobile" });
      expect(e.request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(entries.map((e) => e.user_id)).toEqual([null, 1, 1]);
    expect(server.output()).toContain(entries[1]!.request_id as string);
    for (const secret of [password, "Wrong-pass-123", "Nobody-pass-123", key!]) expect(json.stdout).not.toContain(secret);

    const filtered = async (...args: string[]) =>
      (JSON.parse((await runCli(["audit", "--json", "--db", db, ...args])).stdout) as { username: string; outcome: string }[]).map(
        (e) => `${e.username} ${e.outcome}`,
      );
    // Each filter's SQL is tested on both dialects in store.test.ts: here, that the options reach it.
    expect(await filtered("--user", "IAGO@zulip.com", "--outcome", "authentication_failed", "--org", "", "--since", "1h")).toEqual([
      "iago@zulip.com AUTHENTICATION_FAILED",
    ]);
    expect(await filtered("--address", "127.0.0.1", "--limit", "1")).toEqual(["nobody@zulip.com AUTHENTICATION_FAILED"]);
    expect(await filtered("--address", "192.0.2.1", "--since", "2026-01-01")).toEqual([]);

    const table = await runCli(["audit", "--db", db]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^time\s+count\s+organization\s+username\s+user_id\s+ip\s+client\s+outcome\s+endpoint\s+request_id\s+last_time$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(3, 8).join(" "))).toEqual([
      "nobody@zulip.com - 127.0.0.1 ZulipMobile AUTHENTICATION_FAILED",
      "iago@zulip.com 1 127.0.0.1 ZulipMobile success",
      "iago@zulip.com 1 127.0.0.1 ZulipMobile AUTHENTICATION_FAILED",
    ]);
    const none = await runCli(["audit", "--db", db, "--user", "ghost@zulip.com"]);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, "", `no login attempts match in ${db}\n`]);

    const bad = await runCli(["audit", "--db", db, "--since", "yesterday"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("expected a duration");
  });
});

describe("control characters a client chose", () => {
  // A newline that would forge a row, ESC sequences that would recolour or rewrite the operator's terminal, C1's
  // CSI, DEL and a right-to-left override.
  const EVIL = "eve\n2026-01-01T00:00:00.000Z  \x1b[2J\x1b]0;owned\x07\x9b31m\x7f\u202e@zulip.com";

  it("are escaped visibly in `audit` and `limits show`, and exact in their --json", { timeout: 60_000 }, async () => {
    const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-escape-")), "escape.sqlite");
    const store = await openSqliteStore(db);
    await store.recordLoginAttempts([{ ...attemptRow(1, Date.now()), username: EVIL, client: "Zulip\x1b[31mRed", outcome: "AUTHENTICATION_FAILED" }]);
    const limiter = new LoginLimiter(new SqlAttemptLog(store), DEFAULT_LIMIT_RULES);
    await limiter.attempt({ org: "", username: EVIL, address: "192.0.2.9" });
    await limiter.close();
    await store.close();

    for (const args of [["audit"], ["limits", "show"]]) {
      const human = await runCli([...args, "--db", db]);
      expect(human.code, human.stderr).toBe(0);
      // Nothing but printable text and the line ends; one line per row.
      expect(human.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
      const lines = human.stdout.trimEnd().split("\n");
      expect(lines.length, human.stdout).toBe(args[0] === "audit" ? 2 : 4);
      const shown = "eve\\x0a2026-01-01T00:00:00.000Z  \\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\x7f\\u202e@zulip.com";
      // The limits count the username as logins compare it: case folded.
      expect(human.stdout).toContain(args[0] === "audit" ? shown : shown.toLowerCase());
    }
    const auditJson = (await runCli(["audit", "--db", db, "--json"])).stdout;
    // JSON escapes C0 itself; C1, DEL and the reordering marks are escaped too, and read back the same.
    expect(auditJson).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    const audit = JSON.parse(auditJson) as { username: string; client: string }[];
    expect(audit[0]).toMatchObject({ username: EVIL, client: "Zulip\x1b[31mRed" });
    const limits = JSON.parse((await runCli(["limits", "show", "--db", db, "--json"])).stdout) as { user: string }[];
    expect(limits.map((r) => r.user)).toContain(usernameKey(EVIL));
  });

  it("visible() escapes C0, DEL, C1, invisible and reordering marks, and the backslash; nothing else", () => {
    expect(visible("a\\b")).toBe("a\\\\b");
    expect(visible("\x00\x1f\x7f\x80\x9f")).toBe("\\x00\\x1f\\x7f\\x80\\x9f");
    expect(visible("\u200b\u202e\u2066\ufeff")).toBe("\\u200b\\u202e\\u2066\\ufeff");
    expect(visible("zoë@zulip.com 名前")).toBe("zoë@zulip.com 名前");
  });
});
