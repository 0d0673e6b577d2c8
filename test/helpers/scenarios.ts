import { Redis } from "ioredis";
import { createLdapBackend, LDAP_DEFAULTS } from "../../src/auth/ldap.ts";
import { LoginLimiter } from "../../src/auth/login-limiter.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { DEFAULT_LIMIT_RULES } from "../../src/auth/rate-limit.ts";
import { RedisAttemptLog } from "../../src/auth/redis-attempt-log.ts";
import type { DevFetchApiKey, FetchApiKey } from "../../src/contract/operations.ts";
import type { ErrorCode } from "../../src/contract/types.ts";
import { createPostgresStore } from "../../src/store/postgres.ts";
import { createTestServer, type TestServer, USERS } from "./harness.ts";
import { type HttpServer, serveOverHttp } from "./http.ts";
import { freePort } from "./services.ts";

/** Parameters older than today's, so a login must rehash (Zulip's PASSWORD_RESET_REQUIRED path). */
const OLD_HASH = { memoryCost: 2048, timeCost: 1, parallelism: 1 };

/** A server over real HTTP set up so that `username`/`password` meet one answer of the contract. */
export interface Scenario {
  username: string;
  password: string;
  /** The site the client talks to, and the server's recorded answers. */
  http: HttpServer;
  server: TestServer;
}

type Setup = () => Promise<Scenario>;

async function scenario(
  username: string,
  password: string,
  prepare: (t: TestServer) => Promise<void> = async () => {},
  options: Parameters<typeof createTestServer>[0] & { host?: string; rewrite?: (r: Request) => Request; broken?: "login" } = {},
): Promise<Scenario> {
  const { host, rewrite, broken, ...serverOptions } = options;
  const server = await createTestServer(serverOptions);
  await prepare(server);
  let handler = server.app.fetch;
  if (broken === "login") {
    // server_settings still works; the login endpoints meet a store that fails (an internal error).
    const failing = await createTestServer(serverOptions);
    await failing.store.close();
    handler = (request) => (new URL(request.url).pathname.endsWith("fetch_api_key") ? failing.app.fetch(request) : server.app.fetch(request));
  }
  const http = await serveOverHttp(handler, { ...(host ? { host } : {}), ...(rewrite ? { rewrite } : {}) });
  return { username, password, http, server };
}

/** Forwards a request without its body, as a misconfigured proxy might. */
export const dropBody = (request: Request): Request =>
  new Request(request.url, { method: request.method, headers: [...request.headers].filter(([k]) => k !== "content-type" && k !== "content-length") });

const { iago, hamlet, cordelia, othello } = USERS;

/** For every Zulip error code fetch_api_key declares, a server set up to answer it. The Record makes the list complete. */
export const FETCH_API_KEY_ERRORS: Record<ErrorCode<FetchApiKey>, Setup> = {
  REQUEST_VARIABLE_MISSING: () => scenario(iago.email, iago.password, undefined, { rewrite: dropBody }),
  BAD_REQUEST: () => scenario("hamlet", "whatever"),
  NONEXISTENT_SUBDOMAIN: () => scenario(cordelia.email, cordelia.password),
  AUTHENTICATION_FAILED: () => scenario(iago.email, "not-the-password"),
  PASSWORD_AUTH_DISABLED: () => scenario(iago.email, iago.password, (t) => t.admin.setOrganization("", { email_auth_enabled: 0 })),
  REALM_DEACTIVATED: () => scenario(othello.email, othello.password, undefined, { host: "gone.zulip.test" }),
  USER_DEACTIVATED: () => scenario(hamlet.email, hamlet.password, (t) => t.admin.setUserActive("", hamlet.email, false)),
  PASSWORD_RESET_REQUIRED: () =>
    scenario("weak@zulip.com", "abcd1234", async (t) => {
      const user = await t.admin.createUser("", "weak@zulip.com", null);
      await t.store.updateUser(user.id, { password_hash: await new PasswordHasher(OLD_HASH).hash("abcd1234") });
    }),
  REQUEST_TOO_LARGE: () => scenario(iago.email, "x".repeat(8192), undefined, { config: { bodyLimit: 1024 } }),
  // The real limiter, with iago's five attempts already spent.
  RATE_LIMIT_HIT: async () => {
    const spend = async (t: TestServer) => {
      for (let i = 0; i < 5; i++) await t.limiter!.attempt({ org: "", username: iago.email, address: "127.0.0.1" });
    };
    return scenario(iago.email, iago.password, spend, { limits: {} });
  },
  INTERNAL_SERVER_ERROR: () => scenario(iago.email, iago.password, undefined, { broken: "login" }),
  // A real ioredis client whose Redis is gone (nothing listens on its port): server_settings still answers.
  SERVICE_UNAVAILABLE: async () =>
    scenario(iago.email, iago.password, undefined, { limiter: new LoginLimiter(new RedisAttemptLog(await unreachableRedis()), DEFAULT_LIMIT_RULES) }),
  // An LDAP-only organization whose directory does not answer (nothing listens on its port).
  LDAP_UNAVAILABLE: async () =>
    scenario("ada", "some-password", (t) => t.admin.setOrganization("", { email_auth_enabled: 0, ldap_auth_enabled: 1 }), {
      ldap: createLdapBackend({
        url: `ldap://127.0.0.1:${await freePort()}`,
        userDnTemplate: "uid=%(user)s,dc=zulip,dc=test",
        ...LDAP_DEFAULTS,
        timeoutMs: 2000,
      }),
    }),
};

/** An ioredis client, configured as the server configures it, for a Redis that is not running. */
async function unreachableRedis(): Promise<Redis> {
  const redis = new Redis({
    port: await freePort(),
    host: "127.0.0.1",
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2000,
  });
  redis.on("error", () => {});
  return redis;
}

/** For every Zulip error code dev_fetch_api_key declares, a server set up to answer it (password unused). */
export const DEV_FETCH_API_KEY_ERRORS: Record<ErrorCode<DevFetchApiKey>, Setup> = {
  REQUEST_VARIABLE_MISSING: () => scenario(iago.email, "", undefined, { config: { devMode: true }, rewrite: dropBody }),
  BAD_REQUEST: () => scenario(iago.email, "", undefined, { config: { devMode: false } }),
  NONEXISTENT_SUBDOMAIN: () => scenario(iago.email, "", undefined, { config: { devMode: true }, host: "nope.zulip.test" }),
  AUTHENTICATION_FAILED: () => scenario("nobody@zulip.com", "", undefined, { config: { devMode: true } }),
  REALM_DEACTIVATED: () => scenario(othello.email, "", undefined, { config: { devMode: true }, host: "gone.zulip.test" }),
  USER_DEACTIVATED: () => scenario(hamlet.email, "", (t) => t.admin.setUserActive("", hamlet.email, false), { config: { devMode: true } }),
  REQUEST_TOO_LARGE: () => scenario("x".repeat(8192) + "@zulip.com", "", undefined, { config: { devMode: true, bodyLimit: 1024 } }),
  INTERNAL_SERVER_ERROR: () => scenario(iago.email, "", undefined, { config: { devMode: true }, broken: "login" }),
  // A real PostgreSQL pool with no server behind its port: the organization cannot even be looked up.
  SERVICE_UNAVAILABLE: async () =>
    scenario(iago.email, "", undefined, {
      config: { devMode: true },
      seed: false,
      store: createPostgresStore(`postgres://zulip_auth@127.0.0.1:${await freePort()}/zulip_auth`, { timeoutMs: 2000 }),
    }),
};

/** A healthy server with dev login on. */
export const healthy = (options: Parameters<typeof createTestServer>[0] = {}) =>
  scenario(iago.email, iago.password, undefined, { config: { devMode: true }, ...options });

/** A scenario with a given preparation, for tests that need their own. */
export { scenario };
