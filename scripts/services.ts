// Starts or stops the real services the several-instances and LDAP tests need: PostgreSQL, Redis and an
// OpenLDAP directory seeded with the test entries, each in a folder of its own on a free loopback port.
//
//   eval "$(node --import tsx scripts/services.ts start)"   # prints export lines for the test run
//   npm test
//   node --import tsx scripts/services.ts stop              # uses ZULIP_AUTH_SERVICES_DIR
//
// .ci/run does the same. Under root, PostgreSQL runs as Debian's postgres user (initdb refuses root).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { missingProgram, startDirectory, startPostgres, startRedis, stopServicesIn } from "../test/helpers/services.ts";

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

async function start(): Promise<void> {
  const missing = (["postgres", "redis", "ldap"] as const).map(missingProgram).filter((m) => m !== undefined);
  if (missing.length > 0) throw new Error(missing.join("; "));
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-services-"));
  try {
    const [postgres, redis, directory] = await Promise.all([
      startPostgres(join(dir, "postgres")),
      startRedis(join(dir, "redis")),
      startDirectory(join(dir, "directory")),
    ]);
    const env = {
      ZULIP_AUTH_SERVICES_DIR: dir,
      ZULIP_AUTH_TEST_POSTGRES_URL: postgres.url,
      ZULIP_AUTH_TEST_REDIS_URL: redis.url,
      ZULIP_AUTH_TEST_LDAP_URL: directory.url,
    };
    const lines = Object.entries(env)
      .map(([k, v]) => `export ${k}=${quote(v)}\n`)
      .join("");
    writeFileSync(join(dir, "env.sh"), lines, { mode: 0o600 });
    process.stdout.write(lines);
    process.stderr.write(`services: PostgreSQL, Redis and slapd running from ${dir} (env in ${join(dir, "env.sh")})\n`);
  } catch (error) {
    await stopServicesIn(dir);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function stop(dir: string | undefined): Promise<void> {
  if (!dir) throw new Error("which services? pass their folder or set ZULIP_AUTH_SERVICES_DIR");
  await stopServicesIn(dir);
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`services: stopped and removed ${dir}\n`);
}

const [command, dir] = process.argv.slice(2);
try {
  if (command === "start") await start();
  else if (command === "stop") await stop(dir ?? process.env.ZULIP_AUTH_SERVICES_DIR);
  else throw new Error("usage: scripts/services.ts start | stop [folder]");
} catch (error) {
  process.stderr.write(`services: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
