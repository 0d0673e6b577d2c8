import { type Context, Hono } from "hono";
import { routePath } from "hono/route";
import { addressGroup } from "../auth/address-group.ts";
import { API_BASE_PATH } from "../contract/locations.ts";
import { OPERATIONS } from "../contract/operations.ts";
import { proxyTrust, resolveClientAddress } from "./client-address.ts";
import type { AppDeps, AppEnv } from "./deps.ts";
import { DOCS_PATHS } from "./docs-paths.ts";
import { beginExchange, exchangeOf, hostProblem, recorder, stamp } from "./edge.ts";
import { errorAnswer, methodNotAllowed, notFound } from "./errors.ts";
import { loginAttempt } from "./login-attempt.ts";
import { limitBody } from "./request-body.ts";
import { announcesBody, nodeRequest, requestHeader, targetPath } from "./request-header.ts";
import { devFetchApiKey } from "./routes/dev-fetch-api-key.ts";
import { fetchApiKey } from "./routes/fetch-api-key.ts";
import { health } from "./routes/health.ts";
import { DEFAULT_REALM_ICON_PATH, realmIcon } from "./routes/realm-icon.ts";
import { serverSettings } from "./routes/server-settings.ts";

/** The Hono app: Zulip's login endpoints under /api/v1, built from its dependencies. */
export function createApp(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const record = recorder(deps);
  const trust = proxyTrust(deps.config.trustedProxies);
  // The edge's duties for the requests it hands to the app: under node:http it began the exchange and set
  // its headers already; in-process (app.request) they begin here.
  app.use(async (c, next) => {
    const incoming = nodeRequest(c);
    const edge = exchangeOf((c.env as { outgoing?: unknown } | undefined)?.outgoing);
    const exchange = edge ?? beginExchange();
    c.set("requestId", exchange.reqId);
    const address = resolveClientAddress(c, trust, deps.config.proxyHeader);
    c.set("clientAddress", address);
    c.set("addressGroup", addressGroup(address));
    // Both checks are for node:http's requests: in-process (app.request) the URL is built already.
    const problem = incoming && hostProblem(incoming);
    if (problem) c.res = problem.getResponse();
    else await next();
    // The matched route, never the raw path: unknown paths would make a label value each.
    const route = routePath(c, -1);
    exchange.route = route === "/*" ? undefined : route;
    exchange.organization = c.get("organization");
    if (!edge) stamp((name, value) => c.res.headers.set(name, value), exchange.reqId);
    // An answer given before the request's body was read (413, 405…): the rest of the body would be taken
    // for the next request. A body within the limit is read and dropped first, as nginx does: a client still
    // sending it (fetch streams a FormData) would otherwise get EPIPE instead of the answer. A larger or
    // unannounced one closes the connection, and says so, rather than cut under a keep-alive client.
    if (incoming && announcesBody(incoming) && !incoming.readableEnded) {
      const length = Number(incoming.headers["content-length"]);
      if (c.res.status !== 413 && Number.isInteger(length) && length <= deps.config.bodyLimit) await drain(incoming);
      else c.res.headers.set("Connection", "close");
    }
    // The target as the client sent it (c.req.path is percent-decoded: any character at all), never its query.
    const target = incoming?.url ?? new URL(c.req.url).pathname;
    record(exchange, c.req.method, targetPath(target), c.res.status, requestHeader(c, "x-request-id"), address);
  });
  // Only the two POST endpoints read a body; every other answer is given without reading one.
  const limit = limitBody(deps.config.bodyLimit);

  const api = new Hono<AppEnv>();
  const { fetchApiKey: fetch, devFetchApiKey: devFetch, getServerSettings: settings, getHealth: healthz } = OPERATIONS;
  api.post(fetch.path, loginAttempt(deps, fetch), limit, fetchApiKey(deps));
  api.all(fetch.path, () => methodNotAllowed([fetch.method]).getResponse());
  api.post(devFetch.path, loginAttempt(deps, devFetch), limit, devFetchApiKey(deps));
  api.all(devFetch.path, () => methodNotAllowed([devFetch.method]).getResponse());
  api.get(settings.path, serverSettings(deps));
  // Django's require_safe, as Zulip routes server_settings: GET and HEAD (Hono answers HEAD with the GET handler).
  api.all(settings.path, () => methodNotAllowed([settings.method, "HEAD"]).getResponse());
  app.route(API_BASE_PATH, api);
  app.get(DEFAULT_REALM_ICON_PATH, realmIcon());
  app.get(healthz.url, health(deps));
  app.all(healthz.url, () => methodNotAllowed([healthz.method]).getResponse());
  if (deps.config.docs) {
    // The contract's YAML, Swagger UI's files and their middleware are loaded by the first request for them:
    // a server without docs, or whose docs nobody opens, does not hold them in memory.
    let docs: Promise<Hono<AppEnv>> | undefined;
    const serveDocs = async (c: Context<AppEnv>) => {
      docs ??= import("./docs.ts").then((m) => m.docsRoutes(deps));
      return (await docs).fetch(c.req.raw, c.env);
    };
    for (const path of DOCS_PATHS) app.all(path, serveDocs);
  }

  app.notFound(() => notFound());
  app.onError((error, c) => errorAnswer(error, deps.logger, c.get("requestId")).getResponse());
  return app;
}

/** Reads and drops the rest of a request's body; resolves when it ended or failed (the server's timeouts bound it). */
function drain(incoming: NodeJS.ReadableStream & { readableEnded: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (incoming.readableEnded) return resolve();
    incoming.once("end", resolve);
    incoming.once("error", () => resolve());
    incoming.once("close", resolve);
    incoming.resume();
  });
}
