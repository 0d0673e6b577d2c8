import type { Server } from "node:http";
import type { Socket } from "node:net";
import { addressGroup } from "../auth/address-group.ts";

/** How many connections a listener keeps open: in all, and per client address (an IPv6 /64 is one). */
export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionsPerAddress: number;
}

/** The defaults of `serve`: far above what real clients open, far below the usual 64 Ki file descriptors. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { maxConnections: 4096, maxConnectionsPerAddress: 128 };

/**
 * Caps a listener's open connections. Past the total, Node itself closes new ones as they are accepted; past an
 * address's share, the new connection is closed before anything is read from it. `shared(address)` names peers
 * that speak for many clients (trusted proxies): they count toward the total only.
 */
export function limitConnections(server: Server, limits: ConnectionLimits, shared: (address: string) => boolean = () => false): void {
  server.maxConnections = limits.maxConnections;
  const open = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    const peer = socket.remoteAddress;
    if (peer === undefined || shared(peer)) return;
    const group = addressGroup(peer);
    const held = open.get(group) ?? 0;
    if (held >= limits.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    open.set(group, held + 1);
    socket.once("close", () => {
      const left = (open.get(group) ?? 1) - 1;
      if (left <= 0) open.delete(group);
      else open.set(group, left);
    });
  });
}
