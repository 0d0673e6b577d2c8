import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEOPLE, PEOPLE_DN, SERVICE_ACCOUNT } from "./helpers/directory.ts";
import { conformant } from "./helpers/harness.ts";
import { runCli, type ServerProcess, startServerProcess } from "./helpers/process.ts";
import { createDatabase, missingServices, need, redisDatabase, SERVICE_URLS } from "./helpers/service-env.ts";

// Two real server processes on two ports sharing one PostgreSQL and one Redis (and one directory), as
// behind a load balancer; the operator's CLI works on the same PostgreSQL.

const MISSING = missingServices("postgres", "redis", "ldap");
type Body = Record<string, unknown>;

const IAGO = { email: "iago@zulip.com", password: "iago-Strong-pass-1" };
const HAMLET = { email: "hamlet@zulip.com", password: "hamlet-Strong-pass-2" };

describe("two instances sharing PostgreSQL and Redis", () => {
  let env: Record<string, string>;
  let dropDatabase: (() => Promise<void>) | undefined;
  let a: ServerProcess;
  let b: ServerProcess;

  const cli = async (args: string[], stdin?: string) => {
    const r = await runCli(args, { env, ...(stdin === undefined ? {} : { stdin }) });
    expect(r, args.join(" ")).toMatchObject({ code: 0 });
    return r;
  };
  const login = async (server: ServerProcess, username: string, password: string) =>
    conformant<Body>("fetch-api-key", await fetch(`${server.url}/api/v1/fetch_api_key`, { method: "POST", body: new URLSearchParams({ username, password }) }));

  beforeAll(async () => {
    if (MISSING) return;
    const db = await createDatabase();
    dropDatabase = db.drop;
    // Secrets through the environment, as an operator should: nothing in argv shows in `ps`.
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: await redisDatabase(2),
      ZULIP_AUTH_LDAP_URL: SERVICE_URLS.ldap!,
      ZULIP_AUTH_LDAP_BIND_DN: SERVICE_ACCOUNT.dn,
      ZULIP_AUTH_LDAP_BIND_PASSWORD: SERVICE_ACCOUNT.password,
      ZULIP_AUTH_LDAP_USER_SEARCH_BASE: PEOPLE_DN,
    };
    // Both start on an empty database at once: the schema is created once, under Kysely's migration lock.
    // Debug lines say when each listens for the organizations' changes, and when it hears one.
    const serve = () => startServerProcess(["serve", "--port", "0", "--log-level", "debug"], env);
    [a, b] = await Promise.all([serve(), serve()]);
    await Promise.all([a, b].map((server) => server.waitForOutput(/"msg":"listening for the database's change notifications"/)));
    await cli(["org", "add", "", "--name", "Zulip Dev"]);
    await cli(["user", "add", IAGO.email, "--password-stdin"], IAGO.password);
    await cli(["user", "add", HAMLET.email, "--password-stdin"], HAMLET.password);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await dropDatabase?.();
  });

  it("are two processes on two ports, both healthy, neither logging a password", async (ctx) => {
    need(ctx, MISSING);
    expect(a.url).not.toBe(b.url);
    for (const server of [a, b]) {
      const r = await conformant<Body>("get-health", await fetch(`${server.url}/healthz`));
      expect(r.status).toBe(200);
      expect(r.body.checks).toEqual({ database: "ok", rate_limit_store: "ok" });
      const output = server.output();
      expect(output).toContain('"rateLimitStore":"redis://127.0.0.1:');
      for (const secret of [new URL(env.DATABASE_URL!).password, new URL(env.REDIS_URL!).password, SERVICE_ACCOUNT.password])
        expect(output).not.toContain(secret);
    }
  });

  it("five failures spread over both make the sixth attempt on either answer 429", async (ctx) => {
    need(ctx, MISSING);
    const order = [a, b, a, b, a];
    for (const [i, server] of order.entries()) {
      const r = await login(server, IAGO.email, "wrong-password");
      expect(r.status).toBe(401);
      expect(r.headers.get("x-ratelimit-remaining"), `attempt ${i + 1}`).toBe(String(4 - i));
    }
    for (const server of [b, a]) {
      const r = await login(server, IAGO.email, IAGO.password);
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ code: "RATE_LIMIT_HIT" });
      expect(r.body["retry-after"]).toBeGreaterThan(1790);
    }
  });

  it("a password change from the CLI clears the count for both", async (ctx) => {
    need(ctx, MISSING);
    expect((await login(a, IAGO.email, IAGO.password)).status).toBe(429);
    await cli(["user", "set-password", IAGO.email, "--password-stdin"], "iago-Changed-pass-3");
    const r = await login(b, IAGO.email, "iago-Changed-pass-3");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("a key fetched from one equals the key fetched from the other, also after the CLI regenerates it", async (ctx) => {
    need(ctx, MISSING);
    const fromA = await login(a, HAMLET.email, HAMLET.password);
    const fromB = await login(b, HAMLET.email, HAMLET.password);
    expect(fromA.status).toBe(200);
    expect(fromB.body.api_key).toBe(fromA.body.api_key);
    expect(fromB.body.user_id).toBe(fromA.body.user_id);
    await cli(["user", "regenerate-key", HAMLET.email]);
    const renewedB = await login(b, HAMLET.email, HAMLET.password);
    const renewedA = await login(a, HAMLET.email, HAMLET.password);
    expect(renewedB.body.api_key).not.toBe(fromA.body.api_key);
    expect(renewedA.body.api_key).toBe(renewedB.body.api_key);
  });

  it("a user deactivated via the CLI is refused by both on the next request", async (ctx) => {
    need(ctx, MISSING);
    for (const server of [a, b]) expect((await login(server, HAMLET.email, HAMLET.password)).status).toBe(200);
    await cli(["user", "deactivate", HAMLET.email]);
    for (const server of [a, b]) {
      const r = await login(server, HAMLET.email, HAMLET.password);
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ result: "error", msg: "Account is deactivated", code: "USER_DEACTIVATED" });
    }
  });

  // Each instance keeps organizations in memory and drops them when the NOTIFY of a change reaches its
  // listening connection, a few milliseconds after the commit: the change is awaited (each says it heard it),
  // not assumed by the next fetch.
  const settings = async (server: ServerProcess) => (await conformant<Body>("get-server-settings", await fetch(`${server.url}/api/v1/server_settings`))).body;
  const orgSet = async (args: string[], expected: Partial<Body>) => {
    const marks = [a, b].map((server) => server.output().length);
    await cli(["org", "set", "", ...args]);
    await Promise.all([a, b].map((server, i) => server.waitForOutput(/"msg":"the organizations changed: they are read again from the database"/, marks[i])));
    for (const server of [a, b]) expect(await settings(server)).toMatchObject(expected);
  };

  it("an organization changed via the CLI is answered changed by both, each dropping its copy in memory", async (ctx) => {
    need(ctx, MISSING);
    for (const server of [a, b]) expect(await settings(server)).toMatchObject({ email_auth_enabled: true });
    await orgSet(["--password-auth", "off"], { email_auth_enabled: false });
    for (const server of [a, b]) expect((await login(server, IAGO.email, "iago-Changed-pass-3")).body).toMatchObject({ code: "PASSWORD_AUTH_DISABLED" });
    await orgSet(["--password-auth", "on"], { email_auth_enabled: true });
  });

  it("an LDAP user's first login on one creates the user once; the other answers the same key", async (ctx) => {
    need(ctx, MISSING);
    await orgSet(["--ldap-auth", "on"], { authentication_methods: expect.objectContaining({ ldap: true }) });
    const [first, second] = await Promise.all([login(a, PEOPLE.ada.uid, PEOPLE.ada.password), login(b, PEOPLE.ada.uid, PEOPLE.ada.password)]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body).toMatchObject({ email: PEOPLE.ada.mail, api_key: second.body.api_key, user_id: second.body.user_id });
    const listed = JSON.parse((await cli(["user", "list", "--json"])).stdout) as { email: string; name: string }[];
    expect(listed.filter((u) => u.email === PEOPLE.ada.mail)).toEqual([expect.objectContaining({ name: PEOPLE.ada.cn })]);
  });
});
