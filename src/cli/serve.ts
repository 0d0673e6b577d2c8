import { Command, Option } from "commander";
import {
  ADDRESS_RATE_LIMIT,
  ADDRESS_SUCCESS_RATE_LIMIT,
  formatRateLimit,
  parseRateLimit,
  USER_RATE_LIMIT,
  USER_SUCCESS_RATE_LIMIT,
  ZULIP_AUTH_RATE_LIMIT,
} from "../auth/rate-limit.ts";
import { parseTrustedProxies } from "../server/client-address.ts";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { LOG_LEVELS } from "../server/log-level.ts";
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from "../server/metrics-listener.ts";
import { DEFAULT_AUDIT_RETENTION_DAYS } from "../store/audit-writer.ts";
import { DEFAULT_SERVICE_TIMEOUT_MS } from "../store/open.ts";
import { argument } from "./arguments.ts";
import { ldapOptions } from "./ldap-options.ts";
import { argon2Option, databaseUrlOption, dbOption } from "./options.ts";
import type { DemoOptions, ServeOptions } from "./serve-run.ts";
import { httpOrigin, listenHost, onOff, port, positiveWholeNumber, rootDomain, serviceUrl, wholeNumber } from "./values.ts";

const rule = argument(parseRateLimit);

const portOption = () => new Option("--port <port>", "TCP port").env("ZULIP_AUTH_PORT").default(9991).argParser(port);
const hostOption = () => new Option("--host <address>", "address to listen on").env("ZULIP_AUTH_HOST").default("127.0.0.1").argParser(listenHost);

/** How the server's log is written; every long-running command takes them. */
const logOptions = () => [
  new Option("--log-level <level>", "the least severe log lines written").env("LOG_LEVEL").choices(LOG_LEVELS).default("info"),
  new Option("--log-format <format>", "json lines (for services), or pretty: time, level and message for a person")
    .env("ZULIP_AUTH_LOG_FORMAT")
    .choices(["json", "pretty"])
    .default(undefined, "pretty when standard output is a terminal, else json"),
];

const docsOption = () =>
  new Option("--docs [on|off]", "serve the contract (/openapi.yaml, /openapi.json) and its interactive reference (/docs)")
    .env("ZULIP_AUTH_DOCS")
    .default(false)
    .preset("on")
    .argParser(onOff);

/** `zulip-auth serve`: the login service on the configured database. */
export function serveCommand(): Command {
  const command = new Command("serve")
    .description("run the login service")
    .addOption(portOption())
    .addOption(hostOption())
    .addOption(dbOption())
    .addOption(databaseUrlOption())
    .addOption(
      new Option(
        "--redis-url <url>",
        "Redis for the login-attempt counters (instead of the database), shared by every instance that uses it (redis://[:password@]host:port[/db])",
      )
        .env("REDIS_URL")
        .argParser(serviceUrl("--redis-url (REDIS_URL)", ["redis:", "rediss:"], "redis://127.0.0.1:6379")),
    )
    .addOption(
      new Option("--service-timeout <ms>", "longest wait for PostgreSQL, Redis or LDAP before answering 503")
        .env("ZULIP_AUTH_SERVICE_TIMEOUT")
        .default(DEFAULT_SERVICE_TIMEOUT_MS)
        .argParser(positiveWholeNumber()),
    )
    .addOption(
      new Option("--root-domain <host>", "hosts <sub>.<root-domain> name organization <sub>")
        .env("ZULIP_AUTH_ROOT_DOMAIN")
        .default(DEFAULT_CONFIG.rootDomain)
        .argParser(rootDomain),
    )
    .addOption(new Option("--external-url <url>", "public URL behind a proxy (for realm_url)").env("ZULIP_AUTH_EXTERNAL_URL").argParser(httpOrigin))
    .addOption(
      new Option("--body-limit <bytes>", "largest request body read").env("ZULIP_AUTH_BODY_LIMIT").default(DEFAULT_CONFIG.bodyLimit).argParser(wholeNumber),
    )
    .addOption(
      new Option("--dev [on|off]", "enable dev_fetch_api_key (keys without a password: never in production)")
        .env("ZULIP_AUTH_DEV")
        .default(false)
        .preset("on")
        .argParser(onOff),
    )
    .addOption(
      new Option("--rate-limit <attempts/seconds|off>", "(a) login attempts per organization, username and client address (Zulip's rule)")
        .env("ZULIP_AUTH_RATE_LIMIT")
        .default(ZULIP_AUTH_RATE_LIMIT, "5/1800")
        .argParser(rule),
    )
    .addOption(
      new Option("--address-rate-limit <attempts/seconds|off>", "(b) failed logins per client address, across usernames")
        .env("ZULIP_AUTH_ADDRESS_RATE_LIMIT")
        .default(ADDRESS_RATE_LIMIT, "30/1800")
        .argParser(rule),
    )
    .addOption(
      new Option("--user-rate-limit <attempts/seconds|off>", "(c) failed logins per organization and username, across addresses")
        .env("ZULIP_AUTH_USER_RATE_LIMIT")
        .default(USER_RATE_LIMIT, "100/1800")
        .argParser(rule),
    )
    .addOption(
      new Option("--success-rate-limit <attempts/seconds|off>", "(d) successful logins per organization and username, across addresses")
        .env("ZULIP_AUTH_SUCCESS_RATE_LIMIT")
        .default(USER_SUCCESS_RATE_LIMIT, formatRateLimit(USER_SUCCESS_RATE_LIMIT))
        .argParser(rule),
    )
    .addOption(
      new Option("--address-success-rate-limit <attempts/seconds|off>", "(e) successful logins per client address, across usernames")
        .env("ZULIP_AUTH_ADDRESS_SUCCESS_RATE_LIMIT")
        .default(ADDRESS_SUCCESS_RATE_LIMIT, formatRateLimit(ADDRESS_SUCCESS_RATE_LIMIT))
        .argParser(rule),
    )
    .addOption(
      new Option("--trusted-proxies <cidr,...>", "proxies whose --proxy-header names the client (default: none, the socket's address is the client)")
        .env("ZULIP_AUTH_TRUSTED_PROXIES")
        .argParser(argument(parseTrustedProxies)),
    )
    .addOption(
      new Option("--proxy-header <name>", "the header the trusted proxies write the client's address in; the other is never read")
        .env("ZULIP_AUTH_PROXY_HEADER")
        .choices(["x-forwarded-for", "forwarded"])
        .default("x-forwarded-for"),
    )
    .addOption(
      new Option(
        "--uniform-errors [on|off]",
        "answer deactivated users and organizations, and users of other organizations, as a wrong password (not Zulip's behaviour)",
      )
        .env("ZULIP_AUTH_UNIFORM_ERRORS")
        .default(false)
        .preset("on")
        .argParser(onOff),
    )
    .addOption(argon2Option())
    .addOption(
      new Option("--headers-timeout <ms>", "cut off a client that has not sent its headers by then")
        .env("ZULIP_AUTH_HEADERS_TIMEOUT")
        .default(DEFAULT_CONFIG.headersTimeoutMs)
        .argParser(wholeNumber),
    )
    .addOption(
      new Option("--request-timeout <ms>", "cut off a client that has not sent its whole request by then")
        .env("ZULIP_AUTH_REQUEST_TIMEOUT")
        .default(DEFAULT_CONFIG.requestTimeoutMs)
        .argParser(wholeNumber),
    )
    .addOption(docsOption())
    .addOption(
      new Option("--max-connections <n>", "open connections at most, in all")
        .env("ZULIP_AUTH_MAX_CONNECTIONS")
        .default(DEFAULT_CONFIG.maxConnections)
        .argParser(positiveWholeNumber()),
    )
    .addOption(
      new Option(
        "--max-connections-per-address <n>",
        "open connections at most per client address (IPv6: per /64); trusted proxies count toward the total only",
      )
        .env("ZULIP_AUTH_MAX_CONNECTIONS_PER_ADDRESS")
        .default(DEFAULT_CONFIG.maxConnectionsPerAddress)
        .argParser(positiveWholeNumber()),
    )
    .addOption(
      new Option(
        "--metrics [on|off]",
        `serve Prometheus metrics at GET /metrics on a listener of their own (${DEFAULT_METRICS_HOST}:${DEFAULT_METRICS_PORT}), never the public port`,
      )
        .env("ZULIP_AUTH_METRICS")
        .default(false)
        .preset("on")
        .argParser(onOff),
    )
    .addOption(
      new Option("--metrics-port <port>", `the metrics listener's port (implies --metrics; default ${DEFAULT_METRICS_PORT})`)
        .env("ZULIP_AUTH_METRICS_PORT")
        .argParser(port),
    )
    .addOption(
      new Option("--metrics-host <address>", `the metrics listener's address (implies --metrics; default ${DEFAULT_METRICS_HOST}, this machine only)`).env(
        "ZULIP_AUTH_METRICS_HOST",
      ),
    )
    .addOption(
      new Option("--audit-retention <days>", "days the login audit trail is kept (older rows are pruned hourly)")
        .env("ZULIP_AUTH_AUDIT_RETENTION")
        .default(DEFAULT_AUDIT_RETENTION_DAYS)
        .argParser(positiveWholeNumber()),
    );
  for (const option of [...ldapOptions(), ...logOptions()]) command.addOption(option);
  // The server's modules (database drivers, argon2, LDAP, Redis) load only when it runs.
  return command.action(async (o: ServeOptions) => {
    await (await import("./node-flags.ts")).relaunchWithServerFlags();
    await (await import("./serve-run.ts")).serve(o);
  });
}

/** `zulip-auth demo`: a throwaway server seeded with one account per login answer (docs/demo.md). */
export function demoCommand(): Command {
  const command = new Command("demo")
    .description("run a throwaway demo server with one account per login answer, for client developers (dev mode and /docs on)")
    .addOption(portOption())
    .addOption(hostOption());
  for (const option of logOptions()) command.addOption(option);
  return command.action(async (o: DemoOptions) => {
    await (await import("./node-flags.ts")).relaunchWithServerFlags();
    await (await import("./serve-run.ts")).demo(o);
  });
}
