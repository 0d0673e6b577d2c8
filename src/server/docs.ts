import { type Context, Hono } from "hono";
import { compress } from "hono/compress";
import { etag } from "hono/etag";
import { secureHeaders } from "hono/secure-headers";
import type { AppDeps, AppEnv } from "./deps.ts";
import { docsAsset } from "./docs-assets.ts";
import { DOCS_HTML, DOCS_INIT_JS } from "./docs-page.ts";
import { DOCS_PATHS as PATHS } from "./docs-paths.ts";
import { methodNotAllowed, notFound } from "./errors.ts";
import { subdomainFromHost } from "./organization.ts";
import { publicOrigins } from "./public-origin.ts";
import { type ServedFile, servedContract } from "./served-contract.ts";

// Revalidated on every load (cheap with the ETag), so an upgrade is seen at once.
const REVALIDATE = { "cache-control": "no-cache" };

/**
 * GET /openapi.yaml, /openapi.json (the contract with this host's server URL), /openapi.zulip-level.yaml and
 * .json (its Zulip level, scripts/zulip-level.ts) and /docs (Swagger UI on the contract).
 * Outside /api/v1 and not part of the contract; mounted only when the server is configured with `docs`.
 */
export function docsRoutes(deps: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  // Mounted by the app as a handler: a failure is the app's to answer, in Zulip's error shape.
  routes.onError((error) => {
    throw error;
  });
  // Each middleware names its paths: this app is mounted at the root, where "*" would reach /api/v1 too.
  // compress runs outside etag, so the (weak) ETag names the content whatever the encoding.
  for (const path of PATHS) routes.use(path, compress(), etag({ weak: true }));
  // The page needs nothing from elsewhere: the policy makes the browser refuse anything that tries.
  routes.use(
    "/docs/*",
    secureHeaders({
      // Whether a host is HTTPS-only is the operator's call (at the proxy), not a docs page's.
      strictTransportSecurity: false,
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        // swagger-ui.css draws its icons as data: SVGs.
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
      },
    }),
  );

  const publicOrigin = publicOrigins(deps.config);
  const contract = (c: Context<AppEnv>, file?: ServedFile) =>
    servedContract(publicOrigin(c.req.url, subdomainFromHost(c.req.header("host"), deps.config.rootDomain)), file);
  routes.get("/openapi.yaml", (c) => c.body(contract(c).yaml, 200, { "content-type": "application/yaml; charset=utf-8", ...REVALIDATE }));
  routes.get("/openapi.json", (c) => c.body(contract(c).json, 200, { "content-type": "application/json; charset=utf-8", ...REVALIDATE }));
  // The Zulip level alone, for other tools (Prism, Schemathesis, Dredd) judging real Zulip servers: docs/contract.md.
  routes.get("/openapi.zulip-level.yaml", (c) =>
    c.body(contract(c, "zulip-level").yaml, 200, { "content-type": "application/yaml; charset=utf-8", ...REVALIDATE }),
  );
  routes.get("/openapi.zulip-level.json", (c) =>
    c.body(contract(c, "zulip-level").json, 200, { "content-type": "application/json; charset=utf-8", ...REVALIDATE }),
  );

  routes.get("/docs", (c) => c.body(DOCS_HTML, 200, { "content-type": "text/html; charset=utf-8", ...REVALIDATE }));
  routes.get("/docs/", (c) => c.redirect("/docs", 301));
  routes.get("/docs/init.js", (c) => c.body(DOCS_INIT_JS, 200, { "content-type": "text/javascript; charset=utf-8", ...REVALIDATE }));
  routes.get("/docs/:name", (c) => {
    const asset = docsAsset(c.req.param("name"));
    if (!asset) return notFound();
    return c.body(asset.body, 200, { "content-type": asset.contentType, ...REVALIDATE });
  });

  for (const path of PATHS) routes.all(path, () => methodNotAllowed(["GET"]).getResponse());
  return routes;
}
