import { formatRateLimit, parseRateLimit, type RateLimitRule } from "../auth/rate-limit.ts";
import { parseTrustedProxies } from "../server/client-address.ts";
import { DEFAULT_CONFIG, type ServerConfig } from "../server/config.ts";
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from "../server/metrics-listener.ts";
import type { StartOptions } from "../server/start.ts";
import { DEFAULT_AUDIT_RETENTION_DAYS } from "../store/audit-writer.ts";
import { LDAP } from "./ldap-options.ts";
import { ARGON2, CONFIG, DATABASE, LISTEN, LOG, REDIS_URL, SERVICE_TIMEOUT } from "./options.ts";
import { derived, type Settings, setting, type TableOf } from "./setting.ts";
import { httpOrigin, listenHost, onOff, port, positiveWholeNumber, rootDomain, wholeNumber } from "./values.ts";

// serve's table: keyed as the server's StartOptions and ServerConfig (src/server/start.ts, config.ts) are, so the
// parsed values are the server's options as they are (serve-run.ts), and the compiler holds the two together.

/** An on/off setting, off unless given; the bare flag is on. */
const onOffSetting = (flag: string, env: string, help: string, doc?: string) =>
  setting({ flag: `${flag} [on|off]`, env, help, ...(doc ? { doc } : {}), default: false, defaultText: "off", preset: "on", parse: onOff });

/** One rule of the brute-force defence (brute-force.md). */
const rule = (flag: string, env: string, help: string, fallback: RateLimitRule | null, doc: string) =>
  setting({ flag: `${flag} <attempts/seconds|off>`, env, help, doc, default: fallback, defaultText: formatRateLimit(fallback), parse: parseRateLimit });

const { limits } = DEFAULT_CONFIG;

/** The server's config (ServerConfig): how the server answers. */
const SERVER_CONFIG = {
  rootDomain: setting({
    flag: "--root-domain <host>",
    env: "ZULIP_AUTH_ROOT_DOMAIN",
    help: "hosts <sub>.<root-domain> name organization <sub>",
    doc: "hosts `<sub>.<root-domain>` name organization `sub`: a host name with an optional `:port` (Zulip's `EXTERNAL_HOST`), no scheme or path",
    default: DEFAULT_CONFIG.rootDomain,
    example: "chat.example.com",
    parse: rootDomain,
  }),
  externalUrl: setting({
    flag: "--external-url <url>",
    env: "ZULIP_AUTH_EXTERNAL_URL",
    help: "public URL behind a proxy (for realm_url)",
    doc: "public URL behind a proxy, for `realm_url`",
    example: "https://chat.example.com",
    parse: httpOrigin("--external-url (ZULIP_AUTH_EXTERNAL_URL)"),
  }),
  bodyLimit: setting({
    flag: "--body-limit <bytes>",
    env: "ZULIP_AUTH_BODY_LIMIT",
    help: "largest request body read",
    doc: "largest request body read, in bytes (413 beyond)",
    default: DEFAULT_CONFIG.bodyLimit,
    parse: wholeNumber,
  }),
  devMode: onOffSetting(
    "--dev",
    "ZULIP_AUTH_DEV",
    "enable dev_fetch_api_key (keys without a password: never in production)",
    "enables `dev_fetch_api_key` — keys without a password: never in production",
  ),
  limits: {
    userAddress: rule(
      "--rate-limit",
      "ZULIP_AUTH_RATE_LIMIT",
      "(a) login attempts per organization, username and client address (Zulip's rule)",
      limits.userAddress,
      "rule (a): login attempts per organization, username and client address (`ATTEMPTS/SECONDS`), or `off` ([brute-force.md](brute-force.md))",
    ),
    address: rule(
      "--address-rate-limit",
      "ZULIP_AUTH_ADDRESS_RATE_LIMIT",
      "(b) failed logins per client address, across usernames",
      limits.address,
      "rule (b): failed logins per client address, across usernames",
    ),
    user: rule(
      "--user-rate-limit",
      "ZULIP_AUTH_USER_RATE_LIMIT",
      "(c) failed logins per organization and username, across addresses",
      limits.user,
      "rule (c): failed logins per organization and username, across addresses, except from the user's own recent addresses",
    ),
    userSuccess: rule(
      "--success-rate-limit",
      "ZULIP_AUTH_SUCCESS_RATE_LIMIT",
      "(d) successful logins per organization and username, across addresses",
      limits.userSuccess,
      "rule (d): successful logins per organization and username, across addresses",
    ),
    addressSuccess: rule(
      "--address-success-rate-limit",
      "ZULIP_AUTH_ADDRESS_SUCCESS_RATE_LIMIT",
      "(e) successful logins per client address, across usernames",
      limits.addressSuccess,
      "rule (e): successful logins per client address, across usernames",
    ),
  },
  trustedProxies: setting({
    flag: "--trusted-proxies <cidr,...>",
    env: "ZULIP_AUTH_TRUSTED_PROXIES",
    help: "proxies whose --proxy-header names the client (nginx on this machine: loopback); without them every client has the proxy's address",
    doc: "proxies (addresses, CIDRs, `loopback`…, comma-separated) whose `--proxy-header` names the client ([behind a reverse proxy](#behind-a-reverse-proxy))",
    default: DEFAULT_CONFIG.trustedProxies,
    defaultText: "none, the socket's address is the client",
    example: "loopback",
    parse: parseTrustedProxies,
  }),
  proxyHeader: setting({
    flag: "--proxy-header <name>",
    env: "ZULIP_AUTH_PROXY_HEADER",
    help: "the header the trusted proxies write the client's address in; the other is never read",
    doc: "`x-forwarded-for` or `forwarded`: the header those proxies write; the other is never read",
    choices: ["x-forwarded-for", "forwarded"],
    default: DEFAULT_CONFIG.proxyHeader,
  }),
  uniformErrors: onOffSetting(
    "--uniform-errors",
    "ZULIP_AUTH_UNIFORM_ERRORS",
    "answer deactivated users and organizations, and users of other organizations, as a wrong password (not Zulip's behaviour)",
    "answers deactivated users and organizations, and users of other organizations, as a wrong password (not Zulip's behaviour; [brute-force.md](brute-force.md))",
  ),
  maxConnections: setting({
    flag: "--max-connections <n>",
    env: "ZULIP_AUTH_MAX_CONNECTIONS",
    help: "open connections at most, in all",
    doc: "open connections at most, in all (Node closes new ones beyond), on the public listener and, separately, on the metrics one",
    default: DEFAULT_CONFIG.maxConnections,
    parse: positiveWholeNumber(),
  }),
  maxConnectionsPerAddress: setting({
    flag: "--max-connections-per-address <n>",
    env: "ZULIP_AUTH_MAX_CONNECTIONS_PER_ADDRESS",
    help: "open connections at most per client address (IPv6: per /64); trusted proxies count toward the total only",
    doc: "open connections at most from one client address (an IPv6 /64), trusted proxies apart; a new one beyond is closed before anything is read",
    default: DEFAULT_CONFIG.maxConnectionsPerAddress,
    parse: positiveWholeNumber(),
  }),
  headersTimeoutMs: setting({
    flag: "--headers-timeout <ms>",
    env: "ZULIP_AUTH_HEADERS_TIMEOUT",
    help: "cut off a client that has not sent its headers by then",
    doc: "ms a client has to send its headers before it is cut off (on every listener, the metrics one too)",
    default: DEFAULT_CONFIG.headersTimeoutMs,
    parse: wholeNumber,
  }),
  requestTimeoutMs: setting({
    flag: "--request-timeout <ms>",
    env: "ZULIP_AUTH_REQUEST_TIMEOUT",
    help: "cut off a client that has not sent its whole request by then",
    doc: "ms a client has to send its whole request (on every listener)",
    default: DEFAULT_CONFIG.requestTimeoutMs,
    parse: wholeNumber,
  }),
  docs: onOffSetting(
    "--docs",
    "ZULIP_AUTH_DOCS",
    "serve the contract (/openapi.yaml, /openapi.json) and its interactive reference (/docs)",
    "serves `/docs`, `/openapi.yaml`, `/openapi.json` ([API reference](contract.md#api-reference))",
  ),
} satisfies TableOf<ServerConfig>;

/**
 * Prometheus metrics on a listener of their own: a port or host turns them on, and an explicit `off` wins over
 * both, wherever they come from (the settings file keeps the port; `--metrics off` turns them off for a run).
 */
const METRICS = derived(
  {
    // No default, so that an explicit off is told apart from none.
    on: setting({
      flag: "--metrics [on|off]",
      env: "ZULIP_AUTH_METRICS",
      help: `serve Prometheus metrics at GET /metrics on a listener of their own (${DEFAULT_METRICS_HOST}:${DEFAULT_METRICS_PORT}), never the public port`,
      doc: "Prometheus metrics at `GET /metrics` on a listener of their own, never the public port: [metrics.md](metrics.md); `off` wins over a metrics port or host given anywhere",
      defaultText: "off",
      preset: "on",
      parse: onOff,
    }),
    port: setting({
      flag: "--metrics-port <port>",
      env: "ZULIP_AUTH_METRICS_PORT",
      help: "the metrics listener's port (implies --metrics, unless --metrics off)",
      defaultText: String(DEFAULT_METRICS_PORT),
      parse: port,
    }),
    host: setting({
      flag: "--metrics-host <address>",
      env: "ZULIP_AUTH_METRICS_HOST",
      help: "the metrics listener's address (implies --metrics, unless --metrics off; this machine only by default)",
      defaultText: DEFAULT_METRICS_HOST,
      parse: listenHost,
    }),
  },
  (o) =>
    o.on !== false && (o.on || o.port !== undefined || o.host !== undefined)
      ? { host: o.host ?? DEFAULT_METRICS_HOST, port: o.port ?? DEFAULT_METRICS_PORT }
      : undefined,
);

/** `serve`'s table: the server's StartOptions (but the logger, made from `log`). */
export const SERVE_SETTINGS = {
  ...LISTEN,
  ...DATABASE,
  redisUrl: REDIS_URL,
  serviceTimeoutMs: SERVICE_TIMEOUT,
  config: SERVER_CONFIG,
  hashParams: ARGON2,
  metrics: METRICS,
  auditRetentionDays: setting({
    flag: "--audit-retention <days>",
    env: "ZULIP_AUTH_AUDIT_RETENTION",
    help: "days the login audit trail is kept (older rows are pruned hourly)",
    doc: "days the login audit trail is kept (older rows are pruned hourly): [audit.md](audit.md)",
    default: DEFAULT_AUDIT_RETENTION_DAYS,
    parse: positiveWholeNumber(),
  }),
  ldap: LDAP,
  log: LOG,
} satisfies TableOf<StartOptions> & { log: Settings };

/** `demo`'s table. */
export const DEMO_SETTINGS = { ...LISTEN, log: LOG };

/**
 * Every setting: docs/operating.md's table, docs/zulip-auth.env and the names a settings file may set. serve takes
 * every other command's settings that have an environment variable; --config is every command's.
 */
export const ALL_SETTINGS = { configFile: CONFIG, ...SERVE_SETTINGS };
