import { Writable } from "node:stream";
import type { Hono } from "hono";
import { Admin } from "../../src/admin/admin.ts";
import type { LdapBackend } from "../../src/auth/ldap.ts";
import { LoginLimiter } from "../../src/auth/login-limiter.ts";
import { type HashParams, PasswordHasher } from "../../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../../src/auth/password-policy.ts";
import { DEFAULT_LIMIT_RULES, type LimitRules } from "../../src/auth/rate-limit.ts";
import { SqlAttemptLog } from "../../src/auth/sql-attempt-log.ts";
import { createApp } from "../../src/server/app.ts";
import { DEFAULT_CONFIG, type ServerConfig } from "../../src/server/config.ts";
import type { AppEnv } from "../../src/server/deps.ts";
import { createLogger } from "../../src/server/logger.ts";
import { createMetrics, type Metrics } from "../../src/server/metrics.ts";
import { AuditWriter } from "../../src/store/audit-writer.ts";
import { openSqliteStore } from "../../src/store/sqlite.ts";
import type { Store } from "../../src/store/store.ts";

// No vitest in here: the fuzz script and benchmarks build their servers with it too.

/** Cheap argon2id parameters so tests run fast; tests of rehashing pass their own. */
export const TEST_HASH: HashParams = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

/** The test organizations: the root one ("Zulip Dev"), "lear" and a deactivated "gone". */
export const USERS = {
  iago: { email: "iago@zulip.com", password: "abcd1234-Strong!", org: "" },
  hamlet: { email: "hamlet@zulip.com", password: "hamlet-Strong-77", org: "" },
  cordelia: { email: "cordelia@zulip.com", password: "cordelia-Strong-77", org: "lear" },
  othello: { email: "othello@zulip.com", password: "othello-Strong-77", org: "gone" },
} as const;

/** A seeded in-process server: its Hono app, store, admin and captured log lines. */
export interface TestServer {
  app: Hono<AppEnv>;
  store: Store;
  admin: Admin;
  logLines: string[];
  /** The audit trail's writer, when asked for (its timer is not started: `flush()` writes). */
  audit?: AuditWriter;
  metrics?: Metrics;
  limiter: LoginLimiter | undefined;
  /** app.request with a default Host of the root organization, from client address 127.0.0.1 unless told. */
  request(path: string, init?: RequestInit & { host?: string; address?: string }): Promise<Response>;
}

/**
 * Builds an app on a fresh in-memory database (or the store given) seeded with USERS. `limits` turns the
 * brute-force defence on over the store's table (the defaults, changed by what is given); `limiter` brings one.
 */
export async function createTestServer(
  options: {
    config?: Partial<ServerConfig>;
    limits?: Partial<LimitRules>;
    limiter?: LoginLimiter;
    hashParams?: HashParams;
    /** A hasher of the test's own (hashParams is then unused). */
    hasher?: PasswordHasher;
    seed?: boolean;
    store?: Store;
    ldap?: LdapBackend;
    /** Records login attempts through an AuditWriter on the test's store. */
    audit?: boolean;
    /** Collects metrics (served at /metrics when config.metrics is on). */
    metrics?: boolean;
  } = {},
): Promise<TestServer> {
  // Organizations cached as a server keeps them: every in-process test goes through the cache.
  const store = options.store ?? (await openSqliteStore(":memory:", { cache: true }));
  const hasher = options.hasher ?? new PasswordHasher(options.hashParams ?? TEST_HASH);
  const admin = new Admin(store, hasher, DEFAULT_PASSWORD_POLICY);
  if (options.seed !== false) {
    await admin.addOrganization("", "Zulip Dev");
    await admin.addOrganization("lear", "Lear & Co.");
    await admin.addOrganization("gone", "Gone Ltd");
    for (const u of Object.values(USERS)) await admin.addUser(u.org, u.email, u.password);
    await admin.setOrganization("gone", { deactivated: 1 });
  }
  const limiter = options.limiter ?? (options.limits ? new LoginLimiter(new SqlAttemptLog(store), { ...DEFAULT_LIMIT_RULES, ...options.limits }) : undefined);
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger(sink, "info");
  const audit = options.audit ? new AuditWriter(store, { logger, retentionDays: 90 }) : undefined;
  const metrics = options.metrics ? createMetrics(hasher) : undefined;
  const app = createApp({
    store,
    hasher,
    policy: DEFAULT_PASSWORD_POLICY,
    config: { ...DEFAULT_CONFIG, rootDomain: "zulip.test", ...options.config },
    logger,
    ...(audit ? { audit } : {}),
    ...(metrics ? { metrics } : {}),
    ...(limiter ? { limiter } : {}),
    ...(options.ldap ? { ldap: options.ldap } : {}),
  });
  const request = (path: string, init: RequestInit & { host?: string; address?: string } = {}) => {
    const { host, address, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (!headers.has("host")) headers.set("host", host ?? "zulip.test");
    // What @hono/node-server would hand the app: the socket's peer is the client, and the raw headers as sent.
    const env = { incoming: { socket: { remoteAddress: address ?? "127.0.0.1" }, rawHeaders: [...headers].flat(), headers: {} } };
    return Promise.resolve(app.request(`http://${headers.get("host")}${path}`, { ...rest, headers }, env));
  };
  return { app, store, admin, logLines, limiter, request, ...(audit ? { audit } : {}), ...(metrics ? { metrics } : {}) };
}

/** A urlencoded form body. */
export function form(fields: Record<string, string> | [string, string][]): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields as Record<string, string>).toString(),
  };
}

/** A multipart form body. */
export function multipart(fields: Record<string, string>): RequestInit {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return { method: "POST", body: data };
}
