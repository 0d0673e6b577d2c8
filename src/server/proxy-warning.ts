import type { IncomingMessage } from "node:http";
import ipaddr from "ipaddr.js";
import type { Logger } from "./logger.ts";
import { rawHeader } from "./request-header.ts";

/** Peers that are most likely a reverse proxy on the same machine or network. */
const PROXY_RANGES = new Set(["loopback", "private", "uniqueLocal", "linkLocal", "carrierGradeNat"]);

/**
 * Returns a per-request check that logs one warning per process when a request carries X-Forwarded-For or
 * Forwarded from a loopback or private peer while no proxy is trusted: every client behind that proxy then
 * has the proxy's address, and shares its limits. A server that trusts proxies gets a check that does nothing.
 */
export function proxyWarning(logger: Logger, trustedProxies: readonly string[]): (incoming: IncomingMessage) => void {
  let warned = trustedProxies.length > 0;
  return (incoming) => {
    if (warned) return;
    // The raw list: Node's headers object is built on first use, and a plain server_settings answer needs none.
    const raw = incoming.rawHeaders;
    const header = rawHeader(raw, "x-forwarded-for") !== undefined ? "X-Forwarded-For" : rawHeader(raw, "forwarded") !== undefined ? "Forwarded" : undefined;
    const peer = incoming.socket.remoteAddress;
    if (header === undefined || peer === undefined || !ipaddr.isValid(peer)) return;
    if (!PROXY_RANGES.has(ipaddr.process(peer).range())) return;
    warned = true;
    logger.warn(
      { peer: ipaddr.process(peer).toString(), header },
      `a request came through a proxy at ${ipaddr.process(peer).toString()} (it sent ${header}), but no proxy is trusted: every client behind it shares its address and its login limits; set --trusted-proxies (e.g. --trusted-proxies loopback)`,
    );
  };
}
