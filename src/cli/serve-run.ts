import { DEMO_LIMITS, DEMO_RATE_LIMITED, DEMO_ROOT_DOMAIN, keepRateLimited } from "../admin/demo.ts";
import { type Logger, serviceLogger } from "../server/logger.ts";
import { type RunningServer, startServer } from "../server/start.ts";
import { databaseName } from "./context.ts";
import { createDemoDatabase, demoBanner } from "./demo.ts";
import { stopWhenParentGoes } from "./node-flags.ts";
import type { DEMO_SETTINGS, SERVE_SETTINGS } from "./serve-options.ts";
import type { Values } from "./setting.ts";
import { UserError } from "./user-error.ts";

/** What `serve` parsed: the server's StartOptions, and how its log is written. */
export type ServeOptions = Values<typeof SERVE_SETTINGS>;

/** What `demo` parsed. */
export type DemoOptions = Values<typeof DEMO_SETTINGS>;

// What `serve` and `demo` run: loaded by their actions only.

/** The signals that stop a server gracefully: SIGHUP too, so that closing the terminal cleans up as Ctrl-C does. */
const STOP_SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/**
 * Stops the server gracefully on SIGTERM, SIGINT or SIGHUP: in-flight requests finish, the database closes,
 * exit 0. The handlers are in place before the server starts: a signal sent as soon as it logs "listening"
 * (or while it starts) waits for the start to end instead of killing the process half-way.
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
  for (const signal of STOP_SIGNALS) process.on(signal, () => void stop(signal));
  stopWhenParentGoes(() => void stop("parent process gone"));
}

/** The OS's reasons a listen fails that an operator can act on, in words. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: "the address is already in use (another server, or another zulip-auth, listens there)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EADDRNOTAVAIL: "no network interface of this machine has that address",
  ENOTFOUND: "the host name does not resolve",
};

/** A start that failed to listen, as one sentence naming the address; any other failure as it is. */
async function listening<T>(starting: Promise<T>, o: { host: string; port: number }): Promise<T> {
  try {
    return await starting;
  } catch (error) {
    const { code, syscall, hostname } = error as NodeJS.ErrnoException & { hostname?: string };
    const why = LISTEN_FAILURES[code ?? ""];
    const ours = syscall === "listen" || (syscall === "getaddrinfo" && hostname === o.host);
    if (!why || !ours) throw error;
    throw new UserError(`cannot listen on ${o.host}:${o.port}: ${why}`, 1, { cause: error });
  }
}

/** The log format asked for, else pretty for a person at a terminal and JSON for everything else. */
function logger(o: ServeOptions["log"]): Promise<Logger> {
  return serviceLogger(o.format ?? (process.stdout.isTTY ? "pretty" : "json"), o.level);
}

/** Said at every start in dev mode (`serve --dev`, `demo`). */
const DEV_MODE_WARNING = "dev mode is on: dev_fetch_api_key hands out any user's API key without a password; never use it in production";

/** Warnings about settings that work but are rarely what the operator meant, once the server listens. */
async function warnAtStart(server: RunningServer, o: ServeOptions): Promise<void> {
  if (o.config.devMode) server.logger.warn(DEV_MODE_WARNING);
  if ((await server.store.listOrganizations()).length === 0) {
    const where = databaseName(o);
    const flag = o.databaseUrl ? "--database-url <url>" : `--db ${where}`;
    server.logger.warn(
      { database: where },
      `the database has no organization, so every login answers 404: add one with zulip-auth org add "" ${flag} (the root organization)`,
    );
  }
}

/** Runs `serve` until SIGTERM, SIGINT or SIGHUP. */
export async function serve(o: ServeOptions): Promise<void> {
  const { log, ...options } = o;
  const starting = logger(log).then((logger) => startServer({ ...options, logger }));
  stopOnSignals(starting);
  await warnAtStart(await listening(starting, o), o);
}

/** Runs `demo` until SIGTERM, SIGINT or SIGHUP; its database's folder is removed however it ends. */
export async function demo(o: DemoOptions): Promise<void> {
  const database = await createDemoDatabase();
  // Synchronous, so it also runs on process.exit and when the start fails.
  process.once("exit", database.cleanup);
  const starting = logger(o.log).then((log) =>
    startServer({
      port: o.port,
      host: o.host,
      db: database.db,
      logger: log,
      config: { devMode: true, docs: true, rootDomain: DEMO_ROOT_DOMAIN, limits: DEMO_LIMITS },
    }),
  );
  stopOnSignals(starting, database.cleanup);
  let server: RunningServer;
  try {
    server = await listening(starting, o);
  } catch (error) {
    database.cleanup();
    throw error;
  }
  // Through the real limiter, as many failed logins would: the login path has no special case for him.
  if (server.limiter) await keepRateLimited(server.limiter, DEMO_RATE_LIMITED);
  server.logger.warn(DEV_MODE_WARNING);
  process.stderr.write(demoBanner(server.url, Number(new URL(server.url).port)));
}
