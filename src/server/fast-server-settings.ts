import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { OPERATIONS } from "../contract/operations.ts";
import { addressFrom, proxyTrust } from "./client-address.ts";
import type { AppDeps } from "./deps.ts";
import { handOff } from "./hand-off.ts";
import { accessLine, accessLogger } from "./logger.ts";
import { isParsableHost } from "./parsable-host.ts";
import { subdomainFromHost } from "./organization.ts";
import { announcesBody, rawHeader } from "./request-header.ts";
import { serverSettingsAnswer } from "./routes/server-settings.ts";

/** A node:http request listener. */
export type NodeListener = (incoming: IncomingMessage, outgoing: ServerResponse) => void;

const { url: SETTINGS_URL, method: SETTINGS_METHOD } = OPERATIONS.getServerSettings;
const SETTINGS_QUERY = `${SETTINGS_URL}?`;
/** A request target @hono/node-server takes as it is (url.ts's reValidRequestUrl): no URL object, no error. */
const PLAIN_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/;
/** A Host @hono/node-server takes as it is (url.ts's reValidHost): anything else it parses, or refuses. */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;

/**
 * `GET /api/v1/server_settings` answered straight on node:http, in front of the Hono app: the request every
 * Zulip client (and every load balancer's probe of a Zulip server) sends most, and the app's routing, Fetch
 * Request/Response objects and middleware cost three times the answer itself. The answer is the Hono route's
 * own (serverSettingsAnswer), with the same headers in the same order (X-Request-Id, nosniff, content-type;
 * Node adds Date, Connection, Keep-Alive, Content-Length on both paths), the same access line and the same
 * metrics. Only the plain case is taken: HTTP/1.1, and any other method (HEAD, OPTIONS, POST's 405), a body, a Host that is
 * missing, repeated or needs parsing, an unusual request target, or an answer other than 200 (an unknown
 * subdomain, a database that does not answer) goes to `next`, the Hono app, exactly as before.
 */
export function fastServerSettings(deps: AppDeps, next: NodeListener): NodeListener {
  const answer = serverSettingsAnswer(deps);
  const accessLog = accessLogger(deps.logger);
  const trust = proxyTrust(deps.config.trustedProxies);
  const { rootDomain, proxyHeader } = deps.config;
  const metrics = deps.metrics;
  return (incoming, outgoing) => {
    const target = incoming.url ?? "";
    const host = incoming.headers.host;
    if (
      incoming.method !== SETTINGS_METHOD ||
      // HTTP/1.0 has its own framing rules (no chunking: @hono/node-server writes Content-Length itself).
      incoming.httpVersion !== "1.1" ||
      !(target === SETTINGS_URL || (target.startsWith(SETTINGS_QUERY) && PLAIN_TARGET.test(target))) ||
      host === undefined ||
      !PLAIN_HOST.test(host) ||
      !isParsableHost(host) ||
      announcesBody(incoming)
    ) {
      next(incoming, outgoing);
      return;
    }
    const started = performance.now();
    const raw = incoming.rawHeaders;
    const headers = readHeaders(raw);
    if (headers.hosts !== 1) {
      next(incoming, outgoing);
      return;
    }
    const subdomain = subdomainFromHost(host, rootDomain);
    const scheme = (incoming.socket as TLSSocket).encrypted ? "https" : "http";
    answer(subdomain, `${scheme}://${host}`, headers.userAgent)
      .then(
        (body) => {
          const reqId = randomUUID();
          outgoing.setHeader("X-Request-Id", reqId);
          outgoing.setHeader("X-Content-Type-Options", "nosniff");
          outgoing.setHeader("content-type", "application/json");
          // Node works out Content-Length from the one chunk given to end() and writes headers and body at once.
          outgoing.end(body);
          const durationMs = performance.now() - started;
          metrics?.requestDuration.observe({ method: SETTINGS_METHOD, route: SETTINGS_URL, status: 200 }, durationMs / 1000);
          const address = addressFrom(incoming.socket.remoteAddress, trust, proxyHeader, (name) => rawHeader(raw, name));
          accessLog(
            "info",
            accessLine({
              reqId,
              clientReqId: headers.requestId,
              method: SETTINGS_METHOD,
              path: SETTINGS_URL,
              status: 200,
              durationMs,
              organization: subdomain,
              address,
            }),
          );
        },
        // Any answer but the plain one (an unknown subdomain's 400, a database's 503) is the app's to give,
        // from this failure: asking the database again would double an outage's wait.
        (failure: unknown) => {
          handOff(incoming, { started, failure });
          next(incoming, outgoing);
        },
      )
      .catch((error: unknown) => {
        // A failure after the answer was found (a logger that throws): never an unhandled rejection.
        deps.logger.error({ err: error }, "unhandled error");
        // Before the answer was written the app gives it; after, it is on its way.
        if (!outgoing.headersSent) next(incoming, outgoing);
      });
  };
}

/** The headers this path reads, in one pass over Node's raw list, joined as Headers.get joins repeats. */
function readHeaders(raw: readonly string[]): { hosts: number; userAgent: string | undefined; requestId: string | undefined } {
  let hosts = 0;
  let userAgent: string | undefined;
  let requestId: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    // Lower-casing only the keys whose length matches one of the three.
    if (key.length === 4) {
      if (key.toLowerCase() === "host") hosts += 1;
    } else if (key.length === 10) {
      if (key.toLowerCase() === "user-agent") userAgent = userAgent === undefined ? raw[i + 1]! : `${userAgent}, ${raw[i + 1]!}`;
    } else if (key.length === 12) {
      if (key.toLowerCase() === "x-request-id") requestId = requestId === undefined ? raw[i + 1]! : `${requestId}, ${raw[i + 1]!}`;
    }
  }
  return { hosts, userAgent, requestId };
}
