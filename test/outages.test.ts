import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEOPLE, PEOPLE_DN, SERVICE_ACCOUNT } from "./helpers/directory.ts";
import { conformant } from "./helpers/harness.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";
import { missingPrograms, need } from "./helpers/service-env.ts";
import { freePort, type Service, startDirectory, startPostgres, startRedis } from "./helpers/services.ts";

// Private PostgreSQL, Redis and slapd instances (other test files use the shared ones), stopped, restarted,
// frozen and thawed under a real server process: every request gets an answer the contract declares within
// the service timeout, and service resumes when the dependency is back.

const MISSING = missingPrograms("postgres", "redis", "ldap");
const TIMEOUT_MS = 1000;
// What a loaded machine may add to a bounded wait: a hang would last until the test's own timeout.
const SLACK_MS = 4000;
type Body = Record<string, unknown>;
const IAGO = { email: "iago@zulip.com", password: "iago-Strong-pass-1" };

describe("when PostgreSQL, Redis or the directory goes away and comes back", () => {
  let dir: string;
  let postgres: Service;
  let redis: Service;
  let directory: Service;
  let server: ServerProcess;
  let env: Record<string, string>;

  const post = async (username: string, password: string) => {
    const started = Date.now();
    const response = await fetch(`${server.url}/api/v1/fetch_api_key`, { method: "POST", body: new URLSearchParams({ username, password }) });
    const r = await conformant<Body>("fetch-api-key", response);
    return { ...r, ms: Date.now() - started };
  };
  const login = () => post(IAGO.email, IAGO.password);
  const health = async () => conformant<Body>("get-health", await fetch(`${server.url}/healthz`));
  beforeAll(async () => {
    if (MISSING) return;
    dir = mkdtempSync(join(tmpdir(), "zulip-auth-outages-"));
    [postgres, redis, directory] = await Promise.all([startPostgres(join(dir, "pg")), startRedis(join(dir, "redis")), startDirectory(join(dir, "ldap"))]);
    env = {
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      ZULIP_AUTH_SERVICE_TIMEOUT: String(TIMEOUT_MS),
      ZULIP_AUTH_LDAP_URL: directory.url,
      ZULIP_AUTH_LDAP_BIND_DN: SERVICE_ACCOUNT.dn,
      ZULIP_AUTH_LDAP_BIND_PASSWORD: SERVICE_ACCOUNT.password,
      ZULIP_AUTH_LDAP_USER_SEARCH_BASE: PEOPLE_DN,
    };
    for (const [args, stdin] of [
      [["org", "add", "", "--name", "Zulip Dev"]],
      [["org", "set", "", "--ldap-auth", "on"]],
      [["user", "add", IAGO.email, "--password-stdin"], IAGO.password],
    ] as const) {
      expect(await runCli([...args], { env, ...(stdin ? { stdin } : {}) })).toMatchObject({ code: 0 });
    }
    server = await startServerProcess(["serve", "--port", "0"], env);
  });

  afterAll(async () => {
    await server?.stop();
    for (const service of [postgres, redis, directory]) await service?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("serves while everything answers", async (ctx) => {
    need(ctx, MISSING);
    expect((await login()).status).toBe(200);
    expect((await health()).status).toBe(200);
  });

  it("Redis stopped: logins get 503 at once, /healthz names Redis; restarted: logins work again", async (ctx) => {
    need(ctx, MISSING);
    const mark = server.output().length;
    await redis.stop();
    const down = await login();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ result: "error", msg: "The server cannot reach its rate-limit store; try again shortly", code: "SERVICE_UNAVAILABLE" });
    expect(down.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect((await health()).body).toMatchObject({ code: "SERVICE_UNAVAILABLE", checks: { database: "ok", rate_limit_store: "unavailable" } });
    const settings = await conformant("get-server-settings", await fetch(`${server.url}/api/v1/server_settings`));
    expect(settings.status).toBe(200);

    // The server keeps reconnecting, and tells the operator when it finds Redis gone and when it is back.
    await server.waitForOutput(/"msg":"lost the rate-limit store: logins answer 503 until it is back"/, mark);
    await redis.start();
    await server.waitForOutput(/"msg":"the rate-limit store is back"/, mark);
    expect((await login()).status).toBe(200);
    expect((await health()).status).toBe(200);
  });

  it("Redis frozen (SIGSTOP): answers 503 within the service timeout instead of hanging; thawed: works", async (ctx) => {
    need(ctx, MISSING);
    await redis.pause();
    try {
      const frozen = await login();
      expect(frozen.status).toBe(503);
      expect(frozen.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      const h = await health();
      expect(h.body).toMatchObject({ checks: { rate_limit_store: "unavailable" } });
    } finally {
      await redis.resume();
    }
    // The connection was kept: the next login is answered.
    expect((await login()).status).toBe(200);
  });

  it("PostgreSQL stopped: every endpoint that needs it gets 503, /healthz names it; restarted: works", async (ctx) => {
    need(ctx, MISSING);
    await postgres.stop();
    const down = await login();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ result: "error", msg: "The server cannot reach its database; try again shortly", code: "SERVICE_UNAVAILABLE" });
    expect(down.headers.get("retry-after")).toBe("5");
    expect(down.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    const settings = await conformant<Body>("get-server-settings", await fetch(`${server.url}/api/v1/server_settings`));
    expect(settings.status).toBe(503);
    expect((await health()).body).toMatchObject({ checks: { database: "unavailable", rate_limit_store: "ok" } });

    // Started and accepting connections: the next login opens a new one.
    await postgres.start();
    expect((await login()).status).toBe(200);
    expect((await health()).status).toBe(200);
  });

  it("PostgreSQL frozen (SIGSTOP): 503 within the service timeout; thawed: works", async (ctx) => {
    need(ctx, MISSING);
    await postgres.pause();
    try {
      const frozen = await login();
      expect(frozen.status).toBe(503);
      expect(frozen.ms).toBeLessThan(2 * TIMEOUT_MS + SLACK_MS);
    } finally {
      await postgres.resume();
    }
    expect((await login()).status).toBe(200);
  });

  it("the directory stopped or frozen: LDAP logins get 503 LDAP_UNAVAILABLE (not counted), email logins still work", async (ctx) => {
    need(ctx, MISSING);
    await directory.stop();
    const down = await post(PEOPLE.ada.uid, PEOPLE.ada.password);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ result: "error", msg: "The server cannot reach its LDAP directory; try again shortly", code: "LDAP_UNAVAILABLE" });
    expect(down.headers.get("x-ratelimit-limit")).toBe("5");
    // The attempt was given back: more outage answers than the limit still lock nobody out.
    for (let i = 0; i < 5; i++) expect((await post(PEOPLE.ada.uid, PEOPLE.ada.password)).status).toBe(503);
    expect((await login()).status).toBe(200);
    // The directory is shared by every instance: taking this one out of rotation would not help.
    expect((await health()).status).toBe(200);
    await directory.start();
    expect((await post(PEOPLE.ada.uid, PEOPLE.ada.password)).body).toMatchObject({ email: PEOPLE.ada.mail });

    await directory.pause();
    try {
      const frozen = await post(PEOPLE.ada.uid, PEOPLE.ada.password);
      expect(frozen.status).toBe(503);
      expect(frozen.ms).toBeLessThan(2 * TIMEOUT_MS + SLACK_MS);
    } finally {
      await directory.resume();
    }
    expect((await post(PEOPLE.ada.uid, PEOPLE.ada.password)).status).toBe(200);
  });

  it("logged each outage for the operator, never a password", async (ctx) => {
    need(ctx, MISSING);
    const output = server.output();
    expect(output).toContain('"msg":"lost the rate-limit store: logins answer 503 until it is back"');
    expect(output).toContain('"msg":"the database does not answer"');
    expect(output).toMatch(/"msg":"LDAP (bind as the service account|user search) failed"/);
    for (const secret of [new URL(postgres.url).password, new URL(redis.url).password, SERVICE_ACCOUNT.password, IAGO.password, PEOPLE.ada.password]) {
      expect(output).not.toContain(secret);
    }
  });
});

describe("a server whose services do not answer at start", () => {
  it("exits 1 with one line naming the database, without its password", async () => {
    const port = await freePort();
    const r = await runCli(["serve", "--port", "0", "--service-timeout", "1000"], {
      env: { DATABASE_URL: `postgres://zulip_auth:db-secret-pw@127.0.0.1:${port}/zulip` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`zulip-auth: cannot use the database at postgres://127.0.0.1:${port}/zulip: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });

  it("exits 1 with one line naming Redis, without its password", async () => {
    const port = await freePort();
    const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-start-")), "db.sqlite");
    const r = await runCli(["serve", "--port", "0", "--db", db, "--service-timeout", "1000"], {
      env: { REDIS_URL: `redis://:redis-secret-pw@127.0.0.1:${port}` },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`zulip-auth: cannot reach the rate-limit store at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`);
  });
});
