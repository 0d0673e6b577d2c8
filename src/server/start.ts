import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { HashQueueLimits } from "../auth/hash-queue.ts";
import type { LdapConfig } from "../auth/ldap.ts";
import { LoginLimiter } from "../auth/login-limiter.ts";
import { type HashParams, PasswordHasher } from "../auth/password-hasher.ts";
import { DEFAULT_PASSWORD_POLICY } from "../auth/password-policy.ts";
import { SqlAttemptLog } from "../auth/sql-attempt-log.ts";
import { safeUrl } from "../shared/url.ts";
import { AuditWriter, DEFAULT_AUDIT_RETENTION_DAYS } from "../store/audit-writer.ts";
import { DEFAULT_SERVICE_TIMEOUT_MS, openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { createApp } from "./app.ts";
import { proxyTrust } from "./client-address.ts";
import { DEFAULT_CONFIG, type ServerConfig } from "./config.ts";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS, limitConnections } from "./connection-limits.ts";
import type { AppDeps } from "./deps.ts";
import { EdgeResponse, edge, type NodeListener, rawAnswer } from "./edge.ts";
import { badRequest } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { listenForMetrics, type MetricsListener } from "./metrics-listener.ts";
import { serverSettingsRow } from "./routes/server-settings.ts";
import { connectionCloser } from "./shutdown.ts";

/** What `serve` and `demo` need to run a server (`serve`'s options table, src/cli/serve-options.ts, is keyed as this is). */
export interface StartOptions {
  port: number;
  host: string;
  /** SQLite file, used unless `databaseUrl` names a PostgreSQL database. */
  db: string;
  databaseUrl?: string | undefined;
  /** Redis for the login attempts, shared by every instance that names the same one (else the database). */
  redisUrl?: string | undefined;
  /** Server-wide LDAP settings; organizations turn LDAP login on one by one. */
  ldap?: LdapConfig | undefined;
  /** Bound on every PostgreSQL and Redis wait, in milliseconds. */
  serviceTimeoutMs?: number;
  config?: Partial<ServerConfig>;
  hashParams?: HashParams;
  /** Bounds of the hash queue (default: one argon2 per core and one more, see defaultQueueLimits). */
  hashQueue?: HashQueueLimits;
  logger?: Logger;
  /** Days the login audit trail is kept (default 90). */
  auditRetentionDays?: number;
  /** Prometheus metrics: absent for none; else GET /metrics on a listener of their own, never the public port. */
  metrics?: { host: string; port: number } | undefined;
}

/** A listening server and the way to stop it. */
export interface RunningServer {
  url: string;
  store: Store;
  logger: Logger;
  /** The rate limiter's counters (the demo keeps one username refused through them); absent when the limit is off. */
  limiter?: LoginLimiter;
  /** Where the metrics are served, when they are. */
  metricsUrl?: string;
  /** Stops accepting, lets requests in flight finish, then closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the store (creating or upgrading its schema), connects the rate-limit store, builds the app and
 * listens on host:port (port 0 picks a free one). Fails with a one-line reason when a service does not answer.
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger();
  const config = { ...DEFAULT_CONFIG, ...options.config };
  const timeoutMs = options.serviceTimeoutMs ?? DEFAULT_SERVICE_TIMEOUT_MS;
  const store = await openStore({
    databaseUrl: options.databaseUrl,
    sqlitePath: options.db,
    create: true,
    timeoutMs,
    onIdleError: (error) => logger.warn({ err: error }, "a database connection broke; it is replaced on next use"),
    cache: true,
    onWatchStateChange: (state, error) =>
      state === "lost"
        ? logger.warn({ err: error }, "lost the database's change notifications: organizations are read from the database until they are back")
        : logger.debug("listening for the database's change notifications"),
    onWatchChange: () => logger.debug("the organizations changed: they are read again from the database"),
  });
  let limiter: LoginLimiter | undefined;
  try {
    limiter = await loginLimiter(options, store, config.limits, timeoutMs, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  // Each service's client library is loaded only when the service is configured.
  const ldap = options.ldap ? (await import("../auth/ldap.ts")).createLdapBackend(options.ldap, logger) : undefined;
  logger.info(
    {
      // The absolute path: a relative --db names a different file in every working folder.
      database: options.databaseUrl ? safeUrl(options.databaseUrl) : resolve(options.db),
      rateLimitStore: limiter ? (options.redisUrl ? safeUrl(options.redisUrl) : "database") : "off",
      ldap: options.ldap ? safeUrl(options.ldap.url) : "off",
    },
    "services",
  );
  if (!ldap) {
    const waiting = (await store.listOrganizations()).filter((o) => o.ldap_auth_enabled === 1).map((o) => o.subdomain);
    if (waiting.length > 0)
      logger.warn({ organizations: waiting }, "LDAP login is on for these organizations but the server has no LDAP settings: it stays off");
  }
  const hasher = new PasswordHasher(options.hashParams, options.hashQueue);
  await hasher.prepareDummy();
  const audit = new AuditWriter(store, { logger, retentionDays: options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS });
  const metrics = options.metrics ? createMetrics(hasher) : undefined;
  let metricsListener: MetricsListener | undefined;
  const onClose = async () => {
    await metricsListener?.close();
    // After the last request: its row is in the buffer. Before the store closes: the rows go to it.
    await audit.close();
    await limiter?.close();
  };
  if (metrics && options.metrics) {
    try {
      metricsListener = await listenForMetrics(metrics, options.metrics.host, options.metrics.port, config);
    } catch (error) {
      await onClose();
      await store.close();
      throw error;
    }
  }
  audit.start();
  const deps: AppDeps = {
    store,
    hasher,
    policy: DEFAULT_PASSWORD_POLICY,
    config,
    logger,
    audit,
    ...(metrics ? { metrics } : {}),
    ...(limiter ? { limiter } : {}),
    ...(ldap ? { ldap } : {}),
  };
  const listener = edge(deps, createApp(deps).fetch, [serverSettingsRow(deps)]);
  const running = await listen(listener, { ...options, ...config, store, logger, onClose, drainMs: timeoutMs });
  if (metricsListener) logger.info({ url: metricsListener.url }, "metrics");
  return { ...running, ...(limiter ? { limiter } : {}), ...(metricsListener ? { metricsUrl: metricsListener.url } : {}) };
}

/** The brute-force defence over Redis when given one, else over the store's table; none when every rule is off. */
async function loginLimiter(
  options: StartOptions,
  store: Store,
  rules: ServerConfig["limits"],
  timeoutMs: number,
  logger: Logger,
): Promise<LoginLimiter | undefined> {
  if (Object.values(rules).every((rule) => rule === null)) {
    if (options.redisUrl) logger.warn("the rate limit is off: the Redis URL is not used");
    return undefined;
  }
  if (!options.redisUrl) return new LoginLimiter(new SqlAttemptLog(store), rules);
  const { connectRedisLog } = await import("../auth/redis-attempt-log.ts");
  const log = await connectRedisLog(options.redisUrl, {
    timeoutMs,
    onStateChange: (state, error) =>
      state === "lost"
        ? logger.error({ err: error, redis: safeUrl(options.redisUrl!) }, "lost the rate-limit store: logins answer 503 until it is back")
        : logger.info({ redis: safeUrl(options.redisUrl!) }, "the rate-limit store is back"),
  });
  return new LoginLimiter(log, rules);
}

/** The connection caps a caller gave. */
function definedOnly(options: Partial<ConnectionLimits>): Partial<ConnectionLimits> {
  return {
    ...(options.maxConnections !== undefined ? { maxConnections: options.maxConnections } : {}),
    ...(options.maxConnectionsPerAddress !== undefined ? { maxConnectionsPerAddress: options.maxConnectionsPerAddress } : {}),
  };
}

/** Listens with the edge's listener (edge.ts) on a node:http server whose timeouts cut off slow or stalled clients. */
export async function listen(
  listener: NodeListener,
  options: {
    port: number;
    host: string;
    store: Store;
    logger: Logger;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    /** Connection caps (DEFAULT_CONNECTION_LIMITS when absent) and the proxies exempt from the per-address one. */
    maxConnections?: number;
    maxConnectionsPerAddress?: number;
    trustedProxies?: string[];
    onClose?: () => Promise<void>;
    /** How long requests in flight may still take once the server is told to stop (default: the service timeout). */
    drainMs?: number;
  },
): Promise<RunningServer> {
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: 5_000,
      // Node's own answer to a missing Host is an empty 400; let the error handler above answer it.
      requireHostHeader: false,
      // Node only enforces the two timeouts when it checks, every 30 s by default: check often enough.
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, options.headersTimeoutMs / 4)),
      // Each request's response carries its exchange (its id and start) from the edge to the app.
      ServerResponse: EdgeResponse as typeof ServerResponse,
    },
    listener,
  );
  // A trusted proxy speaks for many clients: it is held to the total only.
  const trust = proxyTrust(options.trustedProxies ?? []);
  limitConnections(server, { ...DEFAULT_CONNECTION_LIMITS, ...definedOnly(options) }, (peer) => trust(peer, 0));
  const closer = connectionCloser(server);
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // Node's own HTTP parser refused the request (NUL bytes, no Host, oversized headers…), or a client was
    // too slow: a stalled client is cut off without an answer; any other gets Zulip's JSON error shape.
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT" || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(rawAnswer(badRequest("Malformed request")));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    await options.onClose?.();
    await options.store.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  options.logger.info({ url }, "listening");
  // Whoever started the server waits for this line: it need not wait for the log's next periodic write.
  options.logger.flush();
  return {
    url,
    store: options.store,
    logger: options.logger,
    async close() {
      // Requests in flight are bounded by the service timeout (a hash, or a wait for a service, ends within it).
      await closer.close(options.drainMs ?? DEFAULT_SERVICE_TIMEOUT_MS);
      await options.onClose?.();
      await options.store.close();
    },
  };
}
