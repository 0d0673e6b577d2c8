import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll } from "vitest";
import { Admin } from "../../src/admin/admin.ts";
import type { HashQueueLimits } from "../../src/auth/hash-queue.ts";
import { type HashParams, PasswordHasher } from "../../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../../src/auth/password-policy.ts";
import { DEFAULT_LIMIT_RULES, type LimitRules } from "../../src/auth/rate-limit.ts";
import type { ServerConfig } from "../../src/server/config.ts";
import { createLogger, type Logger } from "../../src/server/logger.ts";
import { type RunningServer, startServer } from "../../src/server/start.ts";
import { openStore } from "../../src/store/open.ts";
import { conformant, TEST_HASH, USERS } from "./harness.ts";
import { fromAddress } from "./loopback.ts";

// Real servers on real sockets for a test file: each client is bound to its own loopback address (127.0.0.x),
// so the server sees distinct client addresses as it would distinct machines. Servers and files go at the end.

/** Where a server keeps its data: a SQLite file, or PostgreSQL (and Redis for the attempt log). */
export interface Where {
  db: string;
  databaseUrl?: string;
  redisUrl?: string;
}

/** Slow enough (tens of ms) that concurrent logins surely overlap in the hash queue. */
export const SLOW_HASH: HashParams = { memoryCost: 32768, timeCost: 3, parallelism: 1 };

export const FETCH_API_KEY = "/api/v1/fetch_api_key";

const dir = mkdtempSync(join(tmpdir(), "zulip-auth-wire-"));
const servers: RunningServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A fresh SQLite file in this file's temporary folder. */
export const sqlite = (): Where => ({ db: join(dir, `db${++n}.sqlite`) });

/** The test organizations and USERS, and a deactivated retired@zulip.com. */
export async function seed(where: Where): Promise<void> {
  const store = await openStore({ databaseUrl: where.databaseUrl, sqlitePath: where.db, create: true });
  const admin = new Admin(store, new PasswordHasher(TEST_HASH), DEFAULT_PASSWORD_POLICY);
  try {
    await admin.addOrganization("", "Zulip Dev");
    await admin.addOrganization("lear", "Lear & Co.");
    await admin.addOrganization("gone", "Gone Ltd");
    for (const u of Object.values(USERS)) await admin.addUser(u.org, u.email, u.password);
    await admin.setOrganization("gone", { deactivated: 1 });
    await admin.addUser("", "retired@zulip.com", "retired-Strong-77");
    await admin.setUserActive("", "retired@zulip.com", false);
  } finally {
    await store.close();
  }
}

/** Starts a server in this process on a free loopback port (closed after the file's tests). */
export async function start(
  where: Where,
  options: { limits?: Partial<LimitRules>; config?: Partial<ServerConfig>; hashQueue?: HashQueueLimits; slowHash?: boolean; logger?: Logger } = {},
): Promise<RunningServer> {
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db: where.db,
    databaseUrl: where.databaseUrl,
    redisUrl: where.redisUrl,
    hashParams: options.slowHash ? SLOW_HASH : TEST_HASH,
    ...(options.hashQueue ? { hashQueue: options.hashQueue } : {}),
    logger: options.logger ?? createLogger(quiet),
    config: { rootDomain: "zulip.test", limits: { ...DEFAULT_LIMIT_RULES, ...options.limits }, ...options.config },
  });
  servers.push(server);
  return server;
}

/** A login from a loopback address, its answer checked against the contract. */
export async function login(server: { url: string }, from: string, username: string, password: string, host = "zulip.test") {
  const answer = await fromAddress(server.url, from, { path: FETCH_API_KEY, host, form: { username, password } });
  return { ...(await conformant<Record<string, unknown>>("fetch-api-key", answer.response)), wire: answer };
}
