import { randomBytes } from "node:crypto";
import pg from "pg";
import type { TestContext } from "vitest";
import { missingProgram } from "./services.ts";

// The real services a test run was given (scripts/services.ts start prints these variables; .ci/run sets
// them). Without them the tests that need them are skipped with the reason; under CI=true they fail.

const IN_CI = process.env.CI === "true";

export const SERVICE_URLS = {
  postgres: process.env.ZULIP_AUTH_TEST_POSTGRES_URL,
  redis: process.env.ZULIP_AUTH_TEST_REDIS_URL,
  ldap: process.env.ZULIP_AUTH_TEST_LDAP_URL,
};

type ServiceName = keyof typeof SERVICE_URLS;

const VARIABLE: Record<ServiceName, string> = {
  postgres: "ZULIP_AUTH_TEST_POSTGRES_URL",
  redis: "ZULIP_AUTH_TEST_REDIS_URL",
  ldap: "ZULIP_AUTH_TEST_LDAP_URL",
};

/** Why these services are not available to this run, or undefined when they all are. */
export function missingServices(...names: ServiceName[]): string | undefined {
  const missing = names.filter((n) => !SERVICE_URLS[n]).map((n) => VARIABLE[n]);
  if (missing.length === 0) return undefined;
  return `${missing.join(", ")} not set: start the services with \`eval "$(node --import tsx scripts/services.ts start)"\` (as .ci/run does)`;
}

/** Why these services cannot be started privately here (their programs are missing), or undefined. */
export function missingPrograms(...names: ("postgres" | "redis" | "ldap")[]): string | undefined {
  const reasons = names.map(missingProgram).filter((r) => r !== undefined);
  return reasons.length === 0 ? undefined : reasons.join("; ");
}

/** Skips the test with the reason when something is missing; under CI=true fails it instead. */
export function need(ctx: TestContext, reason: string | undefined): void {
  if (reason === undefined) return;
  if (IN_CI) throw new Error(`CI=true but ${reason}`);
  ctx.skip(reason);
}

/** A fresh, empty PostgreSQL database on the test server, and a way to drop it. */
export async function createDatabase(adminUrl = SERVICE_URLS.postgres!): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `zat_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** The test Redis with its own logical database (0–15), emptied, so parallel test files do not meet. */
export async function redisDatabase(db: number, baseUrl = SERVICE_URLS.redis!): Promise<string> {
  const { Redis } = await import("ioredis");
  const url = `${baseUrl.replace(/\/\d*$/, "")}/${db}`;
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  await redis.flushdb();
  await redis.quit();
  return url;
}
