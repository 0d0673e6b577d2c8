import { getConnInfo } from "@hono/node-server/conninfo";
import parseForwarded from "forwarded-parse";
import type { Context } from "hono";
import ipaddr from "ipaddr.js";
import proxyaddr from "proxy-addr";
import { remembered } from "../shared/remembered.ts";

/** Which peers may say who the client is: a compiled `--trusted-proxies` list. */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** Nothing is trusted: the socket's peer is the client. */
const TRUST_NONE: ProxyTrust = () => false;

/** Compiles `--trusted-proxies CIDR[,CIDR]` (addresses, CIDRs, or proxy-addr's names such as `loopback`). */
export function parseTrustedProxies(text: string): string[] {
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error("expected CIDR[,CIDR], e.g. 10.0.0.0/8,::1");
  proxyaddr.compile(list); // throws on an address it cannot read
  return list;
}

/** The trust function for a list from parseTrustedProxies. */
export function proxyTrust(list: readonly string[]): ProxyTrust {
  return list.length === 0 ? TRUST_NONE : proxyaddr.compile([...list]);
}

/** Where an app keeps the resolved address for the request (set once by the app's first middleware). */
export interface ClientAddressVariables {
  clientAddress?: string;
}

/**
 * Which header trusted proxies write the client's address in. Only that one is read: proxies pass the other
 * through as the client sent it, so falling back from one to the other would let a client choose its address.
 */
export type ProxyHeader = "x-forwarded-for" | "forwarded";

/**
 * The client's IP address: the socket's peer, unless that peer is a trusted proxy, in which case the proxy
 * header (`X-Forwarded-For` by default, or `Forwarded`, RFC 7239) is followed back past trusted proxies
 * (Express's rule, by proxy-addr). Without a socket (an in-process request) "unknown".
 */
export function clientAddress(c: Context): string {
  return (c.var as ClientAddressVariables).clientAddress ?? resolveClientAddress(c, TRUST_NONE);
}

/** Works the address out for clientAddress; the app calls it once per request with its trust. */
export function resolveClientAddress(c: Context, trust: ProxyTrust, header: ProxyHeader = "x-forwarded-for"): string {
  let socketAddress: string | undefined;
  try {
    socketAddress = getConnInfo(c).remote.address;
  } catch {
    socketAddress = undefined;
  }
  return addressFrom(socketAddress, trust, header, (name) => c.req.header(name));
}

/**
 * The client's address from the socket's peer and, when that peer is trusted, the proxy header `header`
 * (read through `readHeader`): resolveClientAddress's rule, for callers that hold Node's request itself.
 */
export function addressFrom(
  socketAddress: string | undefined,
  trust: ProxyTrust,
  header: ProxyHeader,
  readHeader: (name: string) => string | undefined,
): string {
  if (!socketAddress) return "unknown";
  if (trust === TRUST_NONE) return normalise(socketAddress);
  const forwardedFor = (header === "forwarded" ? forwardedChain(readHeader("forwarded")) : forwardedForChain(readHeader("x-forwarded-for"))) ?? "";
  const req = { socket: { remoteAddress: socketAddress }, connection: { remoteAddress: socketAddress }, headers: { "x-forwarded-for": forwardedFor } };
  const forwarded = proxyaddr(req as never, trust);
  // A forwarded value that is no IP address (`a"b`, a control character) names nobody: the proxy is the client.
  return normalise(ipaddr.isValid(forwarded) ? forwarded : socketAddress);
}

/** The `for=` values of a Forwarded header as an X-Forwarded-For list; undefined when absent or unreadable. */
function forwardedChain(header: string | undefined): string | undefined {
  if (!header) return undefined;
  try {
    return parseForwarded(header)
      .map((element) => stripPort(element.for ?? "unknown"))
      .join(", ");
  } catch {
    return undefined;
  }
}

/** An X-Forwarded-For list without ports: some proxies (Azure Application Gateway, IIS ARR) add the client's. */
function forwardedForChain(header: string | undefined): string | undefined {
  return header?.includes(":")
    ? header
        .split(",")
        .map((node) => stripPort(node.trim()))
        .join(", ")
    : header;
}

/** `[2001:db8::1]:4711` → `2001:db8::1`; `192.0.2.43:47011` → `192.0.2.43`. */
function stripPort(node: string): string {
  if (node.startsWith("[")) return node.slice(1, node.indexOf("]"));
  const colon = node.indexOf(":");
  return colon >= 0 && node.indexOf(":", colon + 1) < 0 ? node.slice(0, colon) : node;
}

/** Addresses worked out: parsing one with ipaddr.js cost ~5 % of a server_settings answer. */
const normalised = new Map<string, string>();

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 compressed. Anything else is kept as it is. */
function normalise(address: string): string {
  return remembered(normalised, address, (a) => (ipaddr.isValid(a) ? ipaddr.process(a).toString() : a));
}
