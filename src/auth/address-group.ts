import ipaddr from "ipaddr.js";
import { remembered } from "../shared/remembered.ts";

/** Groups worked out: parsing an address with ipaddr.js cost ~5 % of a server_settings answer. */
const groups = new Map<string, string>();

/**
 * The limiter's key for an address: an IPv4 address itself, an IPv6 address's /64 (one subscriber usually
 * holds a whole /64, so per-address counting would give them 2^64 tries).
 */
export function addressGroup(address: string): string {
  return remembered(groups, address, groupOf);
}

function groupOf(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === "ipv4") return parsed.toString();
  const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/64`);
  return `${prefix.toString()}/64`;
}
