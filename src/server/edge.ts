import { randomUUID } from "node:crypto";
import { type IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { getRequestListener, RequestError } from "@hono/node-server";
import { OPERATIONS } from "../contract/operations.ts";
import { requestArrived } from "../store/request-turn.ts";
import { addressFrom, proxyTrust } from "./client-address.ts";
import type { ServerConfig } from "./config.ts";
import type { AppDeps } from "./deps.ts";
import { badRequest, errorAnswer, type ZulipError } from "./errors.ts";
import { accessLine, accessLogger } from "./logger.ts";
import { subdomainFromHost } from "./organization.ts";
import { isParsableHost, parsedHost } from "./parsable-host.ts";
import { proxyWarning } from "./proxy-warning.ts";
import { announcesBody, headerCount, rawHeader, soleHost, targetPath } from "./request-header.ts";

/**
 * The edge: the one node:http listener in front of every request. It names each request (the request id), sets
 * the headers every answer carries, times it, and writes its access line and metrics, once each, here. Routing
 * is Hono's; a route whose answer is precomputed (server_settings) is a row of the edge's table, answered on
 * node:http without the app's Request/Response objects, routing and middleware.
 */

/** A node:http request listener. */
export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

/** What the edge records about one request: its id and start, and what routing learnt (set by the app). */
export interface Exchange {
  readonly reqId: string;
  readonly started: number;
  /** The organization's subdomain, when the route named one. */
  organization?: string | undefined;
  /** The matched route, the metrics' label ("unmatched" for none). */
  route?: string | undefined;
}

/** A new request id: the one place they are made. */
const newRequestId: () => string = randomUUID;

/** A request's exchange, begun when it arrives: in-process requests (app.request) begin one in the app. */
export function beginExchange(): Exchange {
  return { reqId: newRequestId(), started: performance.now() };
}

/** Node's response object for each request, carrying its exchange (node:http's `ServerResponse` option). */
export class EdgeResponse extends ServerResponse implements Exchange {
  readonly reqId = newRequestId();
  readonly started = performance.now();
  organization: string | undefined = undefined;
  route: string | undefined = undefined;
}

/** The exchange of a request answered under node:http, if the app runs there. */
export function exchangeOf(outgoing: unknown): Exchange | undefined {
  return outgoing instanceof EdgeResponse ? outgoing : undefined;
}

/**
 * The headers every answer carries: our own request id, always (a client's could collide or forge a log line's
 * identity; its own X-Request-Id is logged beside it instead), and `nosniff`.
 */
export function stamp(set: (name: string, value: string) => void, reqId: string): void {
  set("X-Request-Id", reqId);
  set("X-Content-Type-Options", "nosniff");
}

/** `outgoing.setHeader`, as stamp takes it. */
function setHeader(outgoing: ServerResponse): (name: string, value: string) => void {
  return (name, value) => outgoing.setHeader(name, value);
}

/** A complete raw HTTP/1.1 answer, for a request Node's own parser refused (no request, no response object). */
export function rawAnswer(error: ZulipError): string {
  const body = JSON.stringify(error.body) + "\n";
  const lines = [`HTTP/1.1 ${error.status} Bad Request`, "Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`];
  stamp((name, value) => lines.push(`${name}: ${value}`), newRequestId());
  return `${lines.join("\r\n")}\r\nConnection: close\r\n\r\n${body}`;
}

/** Writes a request's access line and its metrics: the one place either is written. */
export function recorder(
  deps: Pick<AppDeps, "logger" | "metrics">,
): (exchange: Exchange, method: string, path: string, status: number, clientReqId: string | undefined, address: string) => void {
  const accessLog = accessLogger(deps.logger);
  const metrics = deps.metrics;
  return (exchange, method, path, status, clientReqId, address) => {
    const durationMs = performance.now() - exchange.started;
    metrics?.requestDuration.observe({ method, route: exchange.route ?? "unmatched", status }, durationMs / 1000);
    // Load balancers ask for /healthz every few seconds: their successes would drown the access log.
    const level = path === OPERATIONS.getHealth.url && status === 200 ? "debug" : "info";
    accessLog(level, accessLine({ reqId: exchange.reqId, clientReqId, method, path, status, durationMs, organization: exchange.organization, address }));
  };
}

/**
 * The RFC 9112 §3.2 problems of a request's Host: more than one (400), or one no URL can be built on (Node and
 * @hono/node-server let through some the URL parser refuses, `xn--a`, `999.1.1.1`: the app would fail on them
 * only once it builds the request's URL, as a 500).
 */
export function hostProblem(incoming: IncomingMessage): ZulipError | undefined {
  if (headerCount(incoming.rawHeaders, "host") > 1) return badRequest("Bad Request: more than one Host header");
  const host = incoming.headers.host;
  if (host !== undefined && !isParsableHost(host)) return badRequest("Malformed request: Invalid host header");
  return undefined;
}

/**
 * The request target in origin form (`/path?query`), which it is also made: an absolute-form target
 * (`GET https://host/path`, RFC 9112 §3.2.2) names a scheme and host of the client's choosing, which
 * @hono/node-server would build the request's URL from, and so realm_url. As in Zulip (Django reads the Host
 * header), the scheme is the socket's and the host the Host header's.
 */
function originForm(incoming: IncomingMessage): string {
  const target = incoming.url ?? "";
  const authority = /^https?:\/\/[^/?]*/i.exec(target);
  if (!authority) return target;
  // As sent, not as the URL parser would rewrite it (a backslash would become a slash).
  const rest = target.slice(authority[0].length);
  incoming.url = rest.startsWith("/") ? rest : `/${rest}`;
  return incoming.url;
}

/** What the edge needs: the app's logger, metrics and the settings that name a request's client and organization. */
export interface EdgeDeps extends Pick<AppDeps, "logger" | "metrics"> {
  config: Pick<ServerConfig, "trustedProxies" | "rootDomain" | "proxyHeader">;
}

/** A route answered by the edge itself: a GET whose answer depends on the organization, origin and user agent. */
export interface EdgeRow {
  /** The path, exactly (a query string is ignored). */
  path: string;
  /** The body of the 200 answer; throws a ZulipError (or an UnavailableError) for any other. */
  answer(subdomain: string, origin: string, userAgent: string | undefined): Promise<Uint8Array>;
}

/**
 * The node:http listener: every request begins here, and goes to a row of `rows` when it is the plain case (a
 * GET over HTTP/1.1 to the row's path, with one parsable Host and no body), else to the Hono app's `fetch`.
 */
export function edge(deps: EdgeDeps, fetch: (request: Request, env: unknown) => Response | Promise<Response>, rows: readonly EdgeRow[]): NodeListener {
  const app = getRequestListener(fetch, {
    // A request Node accepted but no URL can be built from (backslash in the path) never reaches the app:
    // answer it in Zulip's JSON error shape instead of an empty 400.
    errorHandler: (error) => {
      if (error instanceof RequestError) return badRequest(`Malformed request: ${error.message}`).getResponse();
      return errorAnswer(error, deps.logger).getResponse();
    },
  });
  const record = recorder(deps);
  const warn = proxyWarning(deps.logger, deps.config.trustedProxies);
  const trust = proxyTrust(deps.config.trustedProxies);
  const { rootDomain, proxyHeader } = deps.config;
  const table = new Map(rows.map((row) => [row.path, row]));
  /** Answers a plain request with `row`; never rejects. */
  const answerRow = async (row: EdgeRow, incoming: IncomingMessage, outgoing: EdgeResponse, host: string, raw: string[]): Promise<void> => {
    const subdomain = subdomainFromHost(host, rootDomain);
    outgoing.route = row.path;
    outgoing.organization = subdomain;
    const scheme = (incoming.socket as TLSSocket).encrypted ? "https" : "http";
    let status = 200;
    try {
      stamp(setHeader(outgoing), outgoing.reqId);
      try {
        const body = await row.answer(subdomain, `${scheme}://${parsedHost(host)}`, rawHeader(raw, "user-agent"));
        outgoing.setHeader("content-type", "application/json");
        // Node works out Content-Length from the one chunk given to end() and writes headers and body at once.
        outgoing.end(body);
      } catch (failure) {
        const error = errorAnswer(failure, deps.logger, outgoing.reqId);
        status = error.status;
        outgoing.statusCode = error.status;
        outgoing.setHeader("content-type", "application/json");
        for (const [name, value] of Object.entries(error.headers)) outgoing.setHeader(name, value);
        outgoing.end(JSON.stringify(error.body) + "\n");
      }
      const address = addressFrom(incoming.socket.remoteAddress, trust, proxyHeader, (name) => rawHeader(raw, name));
      record(outgoing, "GET", row.path, status, rawHeader(raw, "x-request-id"), address);
    } catch (error) {
      // A failure after the answer was written (a logger that throws): never an unhandled rejection.
      deps.logger.error({ err: error }, "unhandled error");
      if (!outgoing.headersSent) outgoing.destroy();
    }
  };
  return (incoming, outgoing) => {
    requestArrived(incoming.socket);
    warn(incoming);
    const exchange = outgoing as EdgeResponse;
    const target = originForm(incoming);
    const row = incoming.method === "GET" ? table.get(targetPath(target)) : undefined;
    const raw = incoming.rawHeaders;
    // Node's headers object is built on first use: the plain case reads the raw list only.
    const host = row === undefined ? undefined : soleHost(raw);
    if (
      row === undefined ||
      // HTTP/1.0 has its own framing rules (no chunking: @hono/node-server writes Content-Length itself).
      incoming.httpVersion !== "1.1" ||
      host === undefined ||
      !isParsableHost(host) ||
      announcesBody(incoming)
    ) {
      stamp(setHeader(outgoing), exchange.reqId);
      app(incoming, outgoing);
      return;
    }
    void answerRow(row, incoming, exchange, host, raw);
  };
}
