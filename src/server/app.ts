import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { API_BASE_PATH } from "../contract/spec.ts";
import { UnavailableError } from "../unavailable.ts";
import { addressGroup, proxyTrust, resolveClientAddress } from "./client-address.ts";
import type { AppDeps, AppEnv } from "./deps.ts";
import { docsRoutes } from "./docs.ts";
import { accessLogger } from "./logger.ts";
import { badRequest, internalError, methodNotAllowed, notFound, payloadTooLarge, serviceUnavailable, ZulipError } from "./errors.ts";
import { devFetchApiKey } from "./routes/dev-fetch-api-key.ts";
import { fetchApiKey } from "./routes/fetch-api-key.ts";
import { health } from "./routes/health.ts";
import { serverSettings } from "./routes/server-settings.ts";

/** Whether a request announces a body (RFC 9112 §6.3). */
function hasBody(incoming: IncomingMessage): boolean {
  return incoming.headers["transfer-encoding"] !== undefined || Number(incoming.headers["content-length"] ?? 0) > 0;
}

/** The Hono app: Zulip's login endpoints under /api/v1, built from its dependencies. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const accessLog = accessLogger(deps.logger);
  const trust = proxyTrust(deps.config.trustedProxies);
  app.use(async (c, next) => {
    const started = performance.now();
    // Our own id, always: a client's could collide with another's or forge a log line's identity. A client's
    // own id is logged beside it, so the two can be matched.
    c.set("requestId", randomUUID());
    const address = resolveClientAddress(c, trust);
    c.set("clientAddress", address);
    c.set("addressGroup", addressGroup(address));
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    // RFC 9112 §3.2: a request with more than one Host header gets a 400.
    if (incoming && incoming.rawHeaders.filter((_, i) => i % 2 === 0 && incoming.rawHeaders[i]!.toLowerCase() === "host").length > 1) {
      c.res = badRequest("Bad Request: more than one Host header").toResponse();
    } else {
      await next();
    }
    c.res.headers.set("X-Request-Id", c.get("requestId"));
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    // An answer given before the request's body was read (413, 405…): the rest of the body would be taken
    // for the next request, so the connection is closed, and said so, rather than cut under a keep-alive client.
    if (incoming && hasBody(incoming) && !incoming.readableEnded) c.res.headers.set("Connection", "close");
    // The path only: a query string may hold a password.
    // Load balancers ask for /healthz every few seconds: its successes would drown the access log.
    const level = c.req.path === "/healthz" && c.res.status === 200 ? "debug" : "info";
    const clientReqId = c.req.header("x-request-id");
    accessLog(level, {
      reqId: c.get("requestId"),
      ...(clientReqId ? { clientReqId: clientReqId.replace(/[^\x20-\x7e]/g, "?").slice(0, 200) } : {}),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      organization: c.get("organization"),
      address,
    });
  });
  // Only the two POST endpoints read a body; every other answer is given without reading one.
  const limit = bodyLimit({ maxSize: deps.config.bodyLimit, onError: () => payloadTooLarge().toResponse() });

  const api = new Hono<AppEnv>();
  api.post("/fetch_api_key", limit, fetchApiKey(deps));
  api.all("/fetch_api_key", () => methodNotAllowed(["POST"]).toResponse());
  api.post("/dev_fetch_api_key", limit, devFetchApiKey(deps));
  api.all("/dev_fetch_api_key", () => methodNotAllowed(["POST"]).toResponse());
  api.get("/server_settings", serverSettings(deps));
  api.all("/server_settings", () => methodNotAllowed(["GET"]).toResponse());
  app.route(API_BASE_PATH, api);
  app.get("/healthz", health(deps));
  app.all("/healthz", () => methodNotAllowed(["GET"]).toResponse());
  if (deps.config.docs) app.route("/", docsRoutes(deps));

  app.notFound(() => notFound());
  app.onError((error, c) => {
    if (error instanceof ZulipError) return error.toResponse();
    if (error instanceof UnavailableError) {
      deps.logger.warn({ reqId: c.get("requestId"), err: error.cause }, error.message);
      return serviceUnavailable(error.dependency).toResponse();
    }
    deps.logger.error({ reqId: c.get("requestId"), err: error }, "unhandled error");
    return internalError().toResponse();
  });
  return app;
}
