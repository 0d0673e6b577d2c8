import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { createAdaptorServer } from "@hono/node-server";
import { PasswordHasher, type HashParams } from "../auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../auth/password-policy.ts";
import { openSqliteStore } from "../store/sqlite.ts";
import type { Store } from "../store/store.ts";
import { createApp } from "./app.ts";
import { DEFAULT_CONFIG, type ServerConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";

/** What `serve` and `demo` need to run a server. */
export interface StartOptions {
  port: number;
  host: string;
  db: string;
  config?: Partial<ServerConfig>;
  hashParams?: HashParams;
  logger?: Logger;
}

/** A listening server and the way to stop it. */
export interface RunningServer {
  url: string;
  store: Store;
  logger: Logger;
  /** Stops accepting, lets requests in flight finish, then closes the database. */
  close(): Promise<void>;
}

/** Opens the store, builds the app and listens on host:port (port 0 picks a free one). */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const store = await openSqliteStore(options.db);
  const logger = options.logger ?? createLogger();
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const app = createApp({ store, hasher: new PasswordHasher(options.hashParams), policy: DEFAULT_PASSWORD_POLICY, config, logger });
  return listen(app.fetch, { ...options, store, logger });
}

/** Listens with a node:http server whose timeouts cut off slow or stalled clients. */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; host: string; store: Store; logger: Logger },
): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch }) as Server;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  options.logger.info({ url }, "listening");
  return {
    url,
    store: options.store,
    logger: options.logger,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await options.store.close();
    },
  };
}
