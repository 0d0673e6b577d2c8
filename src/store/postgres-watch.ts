import pg from "pg";
import { type ChangeWatch, ORGANIZATIONS_CHANNEL } from "./change-watch.ts";

/** How a listener connects, checks its connection and reports it. */
export interface PostgresWatchOptions {
  timeoutMs: number;
  /** Between two checks that the listening connection still answers. */
  heartbeatMs?: number;
  onStateChange?: (state: "listening" | "lost", error?: Error) => void;
  /** A change was heard: what was read of the organizations is read again (an event for tests and debug logs). */
  onChange?: () => void;
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * A connection of its own that LISTENs for the organizations trigger's NOTIFY: every instance sharing the
 * database drops its cached organizations as soon as any process (the CLI, another instance, psql) commits a
 * change. While the connection is down, or has not answered its last heartbeat, notifications could be missed:
 * `version()` is undefined, so the cache reads the database until the listener is back (and then starts empty).
 */
export function postgresWatch(url: string, options: PostgresWatchOptions): ChangeWatch {
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  let generation = 0;
  let listening = false;
  let closed = false;
  let client: pg.Client | undefined;
  let retryMs = RETRY_FIRST_MS;
  let retry: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let reported = false;

  const lost = (from: pg.Client, error?: Error) => {
    if (client !== from) return;
    client = undefined;
    generation++;
    clearInterval(heartbeat);
    from.removeAllListeners("notification");
    // A connection that errs may still emit: keep a listener so no error reaches the process.
    from.on("error", () => {});
    from.end().catch(() => {});
    if (listening) options.onStateChange?.("lost", error);
    listening = false;
    if (closed) return;
    retry = setTimeout(connect, retryMs);
    retry.unref();
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  };

  const connect = async () => {
    if (closed) return;
    const next = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: options.timeoutMs,
      query_timeout: options.timeoutMs,
      keepAlive: true,
      application_name: "zulip-auth listener",
    });
    client = next;
    next.on("notification", () => {
      generation++;
      try {
        options.onChange?.();
      } catch (error) {
        // Thrown inside pg's socket handler it would be an uncaught exception, ending the server: reported once.
        if (!reported) process.emitWarning(`the organizations' change callback failed: ${(error as Error).message}`);
        reported = true;
      }
    });
    next.on("error", (error) => lost(next, error));
    next.on("end", () => lost(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${ORGANIZATIONS_CHANNEL}`);
    } catch (error) {
      lost(next, error as Error);
      return;
    }
    if (client !== next) return;
    // Whatever was cached before may predate a change made while nobody listened.
    generation++;
    listening = true;
    retryMs = RETRY_FIRST_MS;
    options.onStateChange?.("listening");
    heartbeat = setInterval(() => {
      next.query("SELECT 1").catch((error: Error) => lost(next, error));
    }, heartbeatMs);
    heartbeat.unref();
  };

  void connect();
  return {
    version: () => (listening ? generation : undefined),
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(heartbeat);
      const current = client;
      client = undefined;
      listening = false;
      if (!current) return;
      // A server that stopped answering would hold a clean goodbye forever: shutting down must not wait on it.
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs)));
      await Promise.race([current.end().catch(() => {}), bounded]);
      clearTimeout(timer);
    },
  };
}
