import { DEFAULT_LIMIT_RULES, type LimitRules } from "../auth/rate-limit.ts";
import type { ProxyHeader } from "./client-address.ts";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection-limits.ts";

/** How one server instance behaves; each field is also a `serve` option and an environment variable (src/cli/serve-options.ts). */
export interface ServerConfig extends ConnectionLimits {
  /** Hosts `<sub>.<rootDomain>` name organization `sub`; the root domain itself (and any other host) the root organization. */
  rootDomain: string;
  /** Enables dev_fetch_api_key, which hands out keys without a password. Never in production. */
  devMode: boolean;
  /** The public URL when behind a proxy (realm_url is derived from it instead of the request). */
  externalUrl?: string | undefined;
  /** Largest request body read, in bytes. */
  bodyLimit: number;
  /** The brute-force defence's three rules, each null when off (development). */
  limits: LimitRules;
  /** Proxies whose Forwarded / X-Forwarded-For name the client (addresses, CIDRs); none by default. */
  trustedProxies: string[];
  /** The header the trusted proxies write the client's address in; the other is never read. */
  proxyHeader: ProxyHeader;
  /** Deactivated users and organizations, and users of other organizations, answer as a wrong password. */
  uniformErrors: boolean;
  /** A client must send its headers within this time, and the whole request within requestTimeoutMs. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Serves the contract (/openapi.yaml, /openapi.json) and its interactive reference (/docs). */
  docs: boolean;
}

/** Defaults for a local server. */
export const DEFAULT_CONFIG: ServerConfig = {
  rootDomain: "localhost",
  devMode: false,
  bodyLimit: 64 * 1024,
  limits: DEFAULT_LIMIT_RULES,
  trustedProxies: [],
  proxyHeader: "x-forwarded-for",
  uniformErrors: false,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  docs: false,
  ...DEFAULT_CONNECTION_LIMITS,
};
