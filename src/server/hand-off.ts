import type { IncomingMessage } from "node:http";

/**
 * What the node:http fast path (fast-server-settings.ts) already learnt about a request it passes to the Hono
 * app because its answer is not the plain one: when the request began and why the answer failed. The app
 * times the request from that start and the route rethrows that failure, so a database that does not answer
 * is waited for once, not twice, and the access line and metrics give the whole wait.
 */
export interface HandOff {
  started: number;
  failure: unknown;
}

const handOffs = new WeakMap<IncomingMessage, HandOff>();

/** Records what the fast path learnt before it calls the app with `incoming`. */
export function handOff(incoming: IncomingMessage, facts: HandOff): void {
  handOffs.set(incoming, facts);
}

/** What the fast path learnt about this request, if it passed it on. */
export function handedOff(incoming: IncomingMessage | undefined): HandOff | undefined {
  return incoming && handOffs.get(incoming);
}
