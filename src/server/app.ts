import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { API_BASE_PATH } from "../contract/spec.ts";
import { UnavailableError } from "../unavailable.ts";
import type { AppDeps, AppEnv } from "./deps.ts";
import { docsRoutes } from "./docs.ts";
import { accessLogger } from "./logger.ts";
import { internalError, methodNotAllowed, notFound, payloadTooLarge, serviceUnavailable, ZulipError } from "./errors.ts";
import { devFetchApiKey } from "./routes/dev-fetch-api-key.ts";
import { fetchApiKey } from "./routes/fetch-api-key.ts";
import { health } from "./routes/health.ts";
import { DEFAULT_REALM_ICON_PATH, realmIcon } from "./routes/realm-icon.ts";
import { serverSettings } from "./routes/server-settings.ts";

/** The Hono app: Zulip's login endpoints under /api/v1, built from its dependencies. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  const accessLog = accessLogger(deps.logger);
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    // Handlers return their own Response, which the requestId middleware's header never reaches: the id lets
    // an operator find a client's request in the log.
    c.res.headers.set("X-Request-Id", c.get("requestId"));
    // The path only: a query string may hold a password.
    // Load balancers ask for /healthz every few seconds: its successes would drown the access log.
    const level = c.req.path === "/healthz" && c.res.status === 200 ? "debug" : "info";
    accessLog(level, {
      reqId: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      organization: c.get("organization"),
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
  // Django's require_safe, as Zulip routes server_settings: GET and HEAD (Hono answers HEAD with the GET handler).
  api.all("/server_settings", () => methodNotAllowed(["GET", "HEAD"]).toResponse());
  app.route(API_BASE_PATH, api);
  app.get(DEFAULT_REALM_ICON_PATH, realmIcon());
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
