// Child process: the physical limit of an unauthenticated answer. A bare node:http server that answers every
// request with the same status, headers and bytes the real server sent for server_settings (BareResponse),
// with the same node:http timeouts. Prints its URL on the first line.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** The answer to replay, captured from the real server. */
export interface BareResponse {
  status: number;
  headers: Record<string, string>;
  bodyBase64: string;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

const answer = JSON.parse(process.argv[2]!) as BareResponse;
const body = Buffer.from(answer.bodyBase64, "base64");
const headers = { ...answer.headers, "content-length": String(body.length) };
// The node:http settings of src/server/start.ts, so only the framework differs.
const options = {
  headersTimeout: answer.headersTimeoutMs,
  requestTimeout: answer.requestTimeoutMs,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: Math.min(1_000, Math.max(100, answer.headersTimeoutMs / 4)),
};
const server = createServer(options, (_req, res) => {
  res.writeHead(answer.status, headers);
  res.end(body);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
