import { isDeepStrictEqual } from "node:util";
import type { CaseContext } from "../context.ts";
import { field, type Exchange } from "../exchange.ts";
import { SETTINGS, type CheckCase } from "./case.ts";

/** The run's one unauthenticated server_settings request. */
export function serverSettings(ctx: CaseContext): Promise<Exchange> {
  return ctx.memo("server-settings", () => ({ operationId: "get-server-settings", method: "GET", path: "/server_settings", label: "server settings" }));
}

/** The settings' body when server_settings answered 200 with an object. */
export async function settingsBody(ctx: CaseContext): Promise<Record<string, unknown> | undefined> {
  const exchange = await serverSettings(ctx);
  const body = exchange.json;
  return exchange.answer.status === 200 && typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

export const serverSettingsCases: CheckCase[] = [
  {
    id: "server-settings.conforms",
    title: "server_settings answers 200 with the settings a client needs before its login form",
    operations: ["get-server-settings"],
    provokes: { "get-server-settings": [200] },
    async run(ctx) {
      const exchange = await serverSettings(ctx);
      if (!ctx.expectStatus(exchange, 200)) return;
      const realmUrl = field(exchange, "realm_url");
      if (realmUrl !== undefined && field(exchange, "realm_uri") !== undefined) {
        ctx.expectField(exchange, "/realm_uri", realmUrl, ["components", "schemas", "ServerSettings", "properties", "realm_uri", "description"]);
      } else {
        ctx.note("no organisation fields (realm_url…): the base URL is the root domain of a server without a root organisation");
      }
    },
  },
  {
    id: "server-settings.with-authorization",
    title: "server_settings answers the same when an Authorization header is sent (python-zulip-api sends one)",
    operations: ["get-server-settings"],
    provokes: { "get-server-settings": [200] },
    async run(ctx) {
      const basic = Buffer.from(`${ctx.username}:zulip-auth-check-not-a-key`).toString("base64");
      const exchange = await ctx.send({
        operationId: "get-server-settings",
        method: "GET",
        path: "/server_settings",
        headers: { Authorization: `Basic ${basic}` },
        label: "with Authorization: Basic (a made-up key)",
      });
      if (!ctx.expectStatus(exchange, 200, "the endpoint needs no authentication and ignores credentials")) return;
      const plain = await serverSettings(ctx);
      if (plain.answer.status === 200 && !isDeepStrictEqual(plain.json, exchange.json)) {
        ctx.fail(exchange, "unexpected-value", "the settings differ from those answered without an Authorization header", {
          spec: [...SETTINGS, "description"],
          expected: plain.answer.bodyText.trim(),
          actual: exchange.answer.bodyText.trim(),
        });
      }
    },
  },
  {
    id: "server-settings.post-not-allowed",
    title: "POST server_settings → 405 with Allow: GET",
    operations: ["get-server-settings"],
    provokes: { "get-server-settings": [405] },
    async run(ctx) {
      const exchange = await ctx.send({ operationId: "get-server-settings", method: "POST", path: "/server_settings", body: { kind: "form", fields: [] }, label: "POST" });
      if (!ctx.expectStatus(exchange, 405)) return;
      expectAllowedMethod(ctx, exchange, "GET", [...SETTINGS, "responses", "405"]);
    },
  },
];

/** The 405 body's allowed_methods must name the method the path takes. */
export function expectAllowedMethod(ctx: CaseContext, exchange: Exchange, method: string, spec: (string | number)[]): void {
  const allowed = field(exchange, "allowed_methods");
  if (Array.isArray(allowed) && allowed.includes(method)) return;
  ctx.fail(exchange, "unexpected-value", `allowed_methods should list ${method}`, {
    spec,
    pointer: "/allowed_methods",
    expected: `a list with "${method}"`,
    actual: allowed === undefined ? "(absent)" : JSON.stringify(allowed),
  });
}
