import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { operationAt } from "../../src/contract/operations.ts";
import type { OperationId } from "../../src/contract/types.ts";
import { answerFromResponse, getContractValidator, type Violation } from "../../src/contract/validator.ts";

type FetchHandler = (request: Request, env?: unknown) => Response | Promise<Response>;

/** A real HTTP server on 127.0.0.1 and a way to stop it. */
export interface HttpServer {
  url: string;
  /** What the server answered, each validated against the contract when it was sent. */
  answers: CheckedAnswer[];
  close(): Promise<void>;
}

/** One answer seen on the wire, with its contract violations (empty when it conforms). */
export interface CheckedAnswer {
  operationId: OperationId;
  status: number;
  requestContentType: string | null;
  violations: Violation[];
}

/**
 * Serves a fetch handler (an in-process app's `fetch`) over real HTTP, validating every answer against the
 * contract as it leaves. `host` rewrites the Host header the app sees, as a reverse proxy does: the API's
 * organization comes from the Host, and names like lear.zulip.test do not resolve here.
 * `rewrite` changes the request on its way in (e.g. a proxy that drops the body).
 */
export async function serveOverHttp(handler: FetchHandler, options: { host?: string; rewrite?: (request: Request) => Request } = {}): Promise<HttpServer> {
  const validator = await getContractValidator();
  const answers: CheckedAnswer[] = [];
  // The node adapter's bindings (the socket) go on to the app: it reads the client's address from them.
  const fetch = async (incoming: Request, env?: unknown) => {
    let request = options.host ? withHost(incoming, options.host) : incoming;
    if (options.rewrite) request = options.rewrite(request);
    // The app reads some headers (Host, User-Agent) from Node's raw headers: they must say what the rewritten
    // request says, as they would had the client sent it so.
    const response = await handler(request, request === incoming ? env : withRawHeaders(env, request.headers));
    const operationId = operationAt(new URL(request.url).pathname)?.operationId;
    if (operationId) {
      const answer = await answerFromResponse(response.clone());
      answers.push({
        operationId,
        status: answer.status,
        requestContentType: incoming.headers.get("content-type"),
        violations: validator.validateResponse(operationId, answer),
      });
    }
    return response;
  };
  const server = createAdaptorServer({ fetch }) as Server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The node adapter's bindings, with the incoming message's raw headers replaced by `headers`. */
function withRawHeaders(env: unknown, headers: Headers): unknown {
  const incoming = (env as { incoming?: object } | undefined)?.incoming;
  if (!incoming) return env;
  return { ...(env as object), incoming: Object.assign(Object.create(incoming) as object, { rawHeaders: [...headers].flat() }) };
}

function withHost(request: Request, host: string): Request {
  const url = new URL(request.url);
  url.host = host;
  const headers = new Headers(request.headers);
  headers.set("host", host);
  return new Request(url, { method: request.method, headers, body: request.body, duplex: "half" } as RequestInit);
}

/** A server that is not Zulip: answers every request with this status, content type and body. */
export function staticHandler(status: number, contentType: string, body: string, headers: Record<string, string> = {}): FetchHandler {
  return () => new Response(body, { status, headers: { "content-type": contentType, ...headers } });
}
