import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Admin } from "../src/admin/admin.ts";
import { OWASP_MINIMUM, PasswordHasher, type HashParams } from "../src/auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../src/auth/password-policy.ts";
import { createLogger } from "../src/server/logger.ts";
import { startServer, type RunningServer } from "../src/server/start.ts";

/** The benchmark's user; its password is public. */
export const BENCH_USER = { email: "bench@zulip.com", password: "bench-Correct-horse-77" };

/** Starts a real server on loopback (rate limit off, fixed argon2 parameters, no access log) with BENCH_USER. */
export async function startBenchServer(hashParams: HashParams = OWASP_MINIMUM): Promise<RunningServer> {
  const db = join(mkdtempSync(join(tmpdir(), "zulip-auth-bench-")), "bench.sqlite");
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    hashParams,
    logger: createLogger(undefined, "silent"),
    config: { rateLimit: null },
  });
  const admin = new Admin(server.store, new PasswordHasher(hashParams), DEFAULT_PASSWORD_POLICY);
  await admin.addOrganization("", "Bench");
  await admin.addUser("", BENCH_USER.email, BENCH_USER.password);
  return server;
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Milliseconds one login request takes, end to end. */
export async function timeLogin(url: string, username: string, password: string): Promise<{ ms: number; status: number }> {
  const body = new URLSearchParams({ username, password }).toString();
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/fetch_api_key`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}
