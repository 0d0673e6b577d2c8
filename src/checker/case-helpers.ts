import { toPointer, valueAt } from "../contract/json-pointer.ts";
import type { GetServerSettings } from "../contract/operations.ts";
import type { JsonBody } from "../contract/types.ts";
import type { CaseContext } from "./case-context.ts";
import { SETTINGS } from "./cases/case.ts";
import { type Exchange, field } from "./exchange.ts";

// Helpers the cases of several operations share.

/** The run's one unauthenticated server_settings request (made before any case, to tell a Zulip server and its version). */
export async function serverSettings(ctx: CaseContext): Promise<Exchange> {
  return ctx.settings();
}

type Settings = JsonBody<GetServerSettings, 200>;

/**
 * A field of the run's server_settings (or a field of one of its objects), typed as the contract declares it:
 * undefined unless server_settings answered 200 and the value conforms to the field's schema. Only the field
 * is judged, so a server that breaks the contract elsewhere in its settings still says what it says here.
 */
export function setting<K extends keyof Settings>(ctx: CaseContext, name: K): Settings[K] | undefined;
export function setting<K extends keyof Settings, L extends keyof Settings[K]>(ctx: CaseContext, name: K, inner: L): Settings[K][L] | undefined;
export function setting(ctx: CaseContext, ...names: string[]): unknown {
  const exchange = ctx.settings();
  if (exchange.answer.status !== 200) return undefined;
  const value = valueAt(exchange.json, toPointer(names));
  const schema = [...SETTINGS, "responses", "200", "content", "application/json", "schema", ...names.flatMap((n) => ["properties", n])];
  return value !== undefined && ctx.conforms(schema, value) ? value : undefined;
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

/**
 * Whether a version names a Zulip release ("10.0", "9.3", "10.0-rc1"): a development or git build says
 * "-dev" or "+git" (Zulip's `version.py`).
 */
export const isRelease = (version: unknown): boolean => typeof version === "string" && /^\d+\.\d+(\.\d+)?(-(rc|beta)\d+)?$/.test(version);

/**
 * Whether development login is on: server_settings advertises it and the version is not a release. Zulip
 * routes dev_fetch_api_key only on development servers (`zproject/urls.py` adds `zproject/dev_urls.py` when
 * `settings.DEVELOPMENT`), and a release is a production install.
 */
export function devLoginAdvertised(ctx: CaseContext): boolean {
  return setting(ctx, "authentication_methods", "dev") === true && !isRelease(setting(ctx, "zulip_version"));
}
