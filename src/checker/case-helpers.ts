import type { CaseContext } from "./context.ts";
import { field, type Exchange } from "./exchange.ts";

// Helpers the cases of several operations share.

/** The run's one unauthenticated server_settings request (made before any case, to tell a Zulip server and its version). */
export async function serverSettings(ctx: CaseContext): Promise<Exchange> {
  return ctx.settings();
}

/** The settings' body when server_settings answered 200 with an object. */
export async function settingsBody(ctx: CaseContext): Promise<Record<string, unknown> | undefined> {
  const exchange = await serverSettings(ctx);
  const body = exchange.json;
  return exchange.answer.status === 200 && typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/**
 * A 405's allowed methods must name the method the path takes. A JSON body says it in allowed_methods; Zulip's
 * text/html 405s may have no body (server_settings), and then the Allow header, which the contract checks, says it.
 */
export function expectAllowedMethod(ctx: CaseContext, exchange: Exchange, method: string, spec: (string | number)[]): void {
  const allowed = field(exchange, "allowed_methods");
  const labelledJson = /^application\/json\b/i.test(exchange.answer.headers.get("content-type") ?? "");
  if (!labelledJson && allowed === undefined) return;
  if (Array.isArray(allowed) && allowed.includes(method)) return;
  ctx.fail(exchange, "unexpected-value", `allowed_methods should list ${method}`, {
    spec,
    pointer: "/allowed_methods",
    expected: `a list with "${method}"`,
    actual: allowed === undefined ? "(absent)" : JSON.stringify(allowed),
  });
}
