import { setFlagsFromString } from "node:v8";
import { DEMO_RATE_LIMITED, DEMO_ROOT_DOMAIN, keepRateLimited } from "../admin/demo.ts";
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from "../server/metrics-listener.ts";
import { startServer, type RunningServer } from "../server/start.ts";
import { createDemoDatabase, demoBanner } from "./demo.ts";
import { ldapConfigFrom } from "./ldap-options.ts";
import type { ServeOptions } from "./serve.ts";

// What `serve` and `demo` run: loaded by their actions only.

/**
 * Stops the server gracefully on SIGTERM or SIGINT: in-flight requests finish, the database closes, exit 0.
 * The handlers are in place before the server starts: a signal sent as soon as it logs "listening" (or
 * while it starts) waits for the start to end instead of killing the process half-way.
 */
function stopOnSignals(starting: Promise<RunningServer>, cleanup: () => Promise<void> | void = () => {}): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    let server: RunningServer;
    try {
      server = await starting;
    } catch {
      // The start failed: the command reports why and exits 1.
      await cleanup();
      return;
    }
    server.logger.info({ signal }, "stopping");
    try {
      await server.close();
      await cleanup();
      process.exit(0);
    } catch (error) {
      server.logger.error({ err: error }, "error while stopping");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * Asks V8 to favour memory over speed in a server process (`--optimize-for-size`, read at every garbage
 * collection, so it takes effect set at run time). By default V8 let the old generation grow to three or four
 * times what was live between full collections: 100 000 mixed requests left ~200 MB resident for ~27 MB of
 * live heap; with it, ~115 MB, and no CPU per request or per login measurably more (bench/README.md). Set
 * here, not in a shebang (`env -S` is not in every `env`) nor NODE_OPTIONS, so that every way of starting
 * `serve` gets it, and never in a process that only runs a command.
 */
export function favourMemory(): void {
  setFlagsFromString("--optimize-for-size");
}

/** Where the metrics listen: `--metrics`, `--metrics-port` or `--metrics-host` turns them on, on a listener of their own. */
function metricsListener(o: ServeOptions): { metrics?: { host: string; port: number } } {
  if (!o.metrics && o.metricsPort === undefined && o.metricsHost === undefined) return {};
  return { metrics: { host: o.metricsHost ?? DEFAULT_METRICS_HOST, port: o.metricsPort ?? DEFAULT_METRICS_PORT } };
}

/** Runs `serve` until SIGTERM or SIGINT. */
export async function serve(o: ServeOptions): Promise<void> {
  favourMemory();
  const starting = startServer({
    port: o.port,
    host: o.host,
    db: o.db,
    databaseUrl: o.databaseUrl,
    redisUrl: o.redisUrl,
    ldap: ldapConfigFrom(o, o.serviceTimeout),
    serviceTimeoutMs: o.serviceTimeout,
    hashParams: o.argon2,
    auditRetentionDays: o.auditRetention,
    ...metricsListener(o),
    config: {
      rootDomain: o.rootDomain,
      devMode: o.dev,
      docs: o.docs,
      bodyLimit: o.bodyLimit,
      // commander hands back "" for a parser that returned null ("off").
      limits: {
        userAddress: o.rateLimit || null,
        address: o.addressRateLimit || null,
        user: o.userRateLimit || null,
        userSuccess: o.successRateLimit || null,
        addressSuccess: o.addressSuccessRateLimit || null,
      },
      maxConnections: o.maxConnections,
      maxConnectionsPerAddress: o.maxConnectionsPerAddress,
      trustedProxies: o.trustedProxies ?? [],
      proxyHeader: o.proxyHeader,
      uniformErrors: o.uniformErrors,
      headersTimeoutMs: o.headersTimeout,
      requestTimeoutMs: o.requestTimeout,
      ...(o.externalUrl ? { externalUrl: o.externalUrl } : {}),
    },
  });
  stopOnSignals(starting);
  await starting;
}

/** Runs `demo` until SIGTERM or SIGINT, then deletes its database. */
export async function demo(o: { port: number; host: string }): Promise<void> {
  favourMemory();
  const database = createDemoDatabase();
  const starting = database.then(({ db }) =>
    startServer({ port: o.port, host: o.host, db, config: { devMode: true, docs: true, rootDomain: DEMO_ROOT_DOMAIN } }),
  );
  stopOnSignals(starting, async () => (await database).cleanup());
  const server = await starting;
  // Through the real limiter, as many failed logins would: the login path has no special case for him.
  if (server.limiter) await keepRateLimited(server.limiter, DEMO_RATE_LIMITED);
  process.stderr.write(demoBanner(server.url, Number(new URL(server.url).port)));
}
