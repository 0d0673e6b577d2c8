import { startServer, type RunningServer } from "../server/start.ts";
import { createDemoDatabase, demoCurl, DEMO_USERS } from "./demo.ts";
import { ldapConfigFrom } from "./ldap-options.ts";
import type { ServeOptions } from "./serve.ts";

// What `serve` and `demo` run: loaded by their actions only.

/** Stops the server gracefully on SIGTERM or SIGINT: in-flight requests finish, the database closes, exit 0. */
function stopOnSignals(server: RunningServer, cleanup: () => void = () => {}): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, "stopping");
    server.close().then(
      () => {
        cleanup();
        process.exit(0);
      },
      (error: unknown) => {
        server.logger.error({ err: error }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/** Runs `serve` until SIGTERM or SIGINT. */
export async function serve(o: ServeOptions): Promise<void> {
  const server = await startServer({
    port: o.port,
    host: o.host,
    db: o.db,
    databaseUrl: o.databaseUrl,
    redisUrl: o.redisUrl,
    ldap: ldapConfigFrom(o, o.serviceTimeout),
    serviceTimeoutMs: o.serviceTimeout,
    hashParams: o.argon2,
    config: {
      rootDomain: o.rootDomain,
      devMode: o.dev,
      docs: o.docs,
      bodyLimit: o.bodyLimit,
      rateLimit: o.rateLimit,
      headersTimeoutMs: o.headersTimeout,
      requestTimeoutMs: o.requestTimeout,
      ...(o.externalUrl ? { externalUrl: o.externalUrl } : {}),
    },
  });
  stopOnSignals(server);
}

/** Runs `demo` until SIGTERM or SIGINT, then deletes its database. */
export async function demo(o: { port: number; host: string }): Promise<void> {
  const { db, cleanup } = await createDemoDatabase();
  const server = await startServer({ port: o.port, host: o.host, db, config: { devMode: true, docs: true } });
  stopOnSignals(server, cleanup);
  const users = DEMO_USERS.map((u) => `  ${u.email} / ${u.password}`).join("\n");
  process.stderr.write(
    `\nzulip-auth demo on ${server.url} (organization "Zulip Dev", throwaway database)\n` +
      `demo users (public passwords, never use them for real):\n${users}\n\ntry:\n  ${demoCurl(server.url)}\n` +
      `or open the API reference: ${server.url}/docs\n\n`,
  );
}
