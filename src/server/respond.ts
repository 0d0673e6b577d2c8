import type { RateLimitDecision } from "../auth/rate-limit.ts";
import type { Operation } from "../contract/operations.ts";
import type { DeclaredStatus, JsonBody, OperationId } from "../contract/types.ts";

/** Zulip's wire format: compact JSON and a newline. Untyped: answers go through `respond` or ZulipError. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonText(status, JSON.stringify(body) + "\n", headers);
}

/** An answer already serialised (from a body typed by the contract, e.g. server_settings' template). */
export function jsonText(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { "content-type": "application/json", ...headers } });
}

/** An answer already serialised to bytes (server_settings' answers, made once per origin). */
export function jsonBytes(status: number, bytes: Uint8Array<ArrayBuffer>): Response {
  return new Response(bytes, { status, headers: { "content-type": "application/json" } });
}

/** A response whose body the contract allows for this operation and status; anything else fails to compile. */
export function respond<Op extends OperationId, S extends DeclaredStatus<Op>>(
  _operation: Operation<Op>,
  status: S,
  body: JsonBody<Op, S>,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(status, body, headers);
}

/** The X-RateLimit-* headers Zulip puts on every counted attempt. */
export function rateLimitHeaders(decision: RateLimitDecision | undefined): Record<string, string> {
  if (!decision) return {};
  return {
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(decision.resetAt),
  };
}
