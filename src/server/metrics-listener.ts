import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.ts";

/** A listener that serves only GET /metrics, so the metrics need not share the public port. */
export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 picks a free one) and answers GET /metrics; anything else gets a 404 or 405. */
export async function listenForMetrics(metrics: Metrics, host: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/metrics") return void response.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found: this port serves /metrics only\n");
    if (request.method !== "GET" && request.method !== "HEAD") return void response.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain" }).end();
    metrics.registry.metrics().then(
      (text) =>
        response
          .writeHead(200, { "Content-Type": metrics.registry.contentType, "Cache-Control": "no-store" })
          .end(request.method === "HEAD" ? undefined : text),
      () => response.writeHead(500, { "Content-Type": "text/plain" }).end("could not collect the metrics\n"),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
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
