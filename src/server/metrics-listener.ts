import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ConnectionLimits, limitConnections } from "./connection-limits.ts";
import type { Metrics } from "./metrics.ts";

/** Where `--metrics` listens unless `--metrics-host` and `--metrics-port` say otherwise: never the public port. */
export const DEFAULT_METRICS_HOST = "127.0.0.1";
export const DEFAULT_METRICS_PORT = 9992;

/** How long one collection of the metrics answers every scrape: scrapers cannot make the server collect more often. */
export const METRICS_CACHE_MS = 1_000;

/** A listener that serves only GET /metrics, apart from the public port. */
export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** Timeouts and connection caps of the metrics listener, as the public one has. */
export interface MetricsListenerOptions extends ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

/** The registry's text, collected at most once per METRICS_CACHE_MS however many scrapes arrive. */
export function cachedScrape(metrics: Metrics, now: () => number = Date.now): () => Promise<string> {
  let cached: { at: number; text: Promise<string> } | undefined;
  return () => {
    const at = now();
    if (!cached || at - cached.at >= METRICS_CACHE_MS) {
      const text = metrics.registry.metrics();
      cached = { at, text };
      // A failed collection is not kept: the next scrape tries again.
      text.catch(() => {
        if (cached?.text === text) cached = undefined;
      });
    }
    return cached.text;
  };
}

/** Listens on host:port (0 picks a free one) and answers GET /metrics; anything else gets a 404 or 405. */
export async function listenForMetrics(metrics: Metrics, host: string, port: number, options: MetricsListenerOptions): Promise<MetricsListener> {
  const scrape = cachedScrape(metrics);
  const server: Server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // Node checks its timeouts every 30 s by default: a slow client would be cut off only then.
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, options.headersTimeoutMs / 4)),
    },
    (request, response) => {
      const path = (request.url ?? "").split("?")[0];
      if (path !== "/metrics") return void response.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found: this port serves /metrics only\n");
      if (request.method !== "GET" && request.method !== "HEAD")
        return void response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end();
      scrape().then(
        (text) =>
          response
            .writeHead(200, { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" })
            .end(request.method === "HEAD" ? undefined : text),
        () => response.writeHead(500, { "Content-Type": "text/plain" }).end("could not collect the metrics\n"),
      );
    },
  );
  limitConnections(server, options);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
