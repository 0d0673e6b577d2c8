import { OPERATIONS } from "../../contract/operations.ts";
import { isDeepStrictEqual } from "node:util";
import { field } from "../exchange.ts";
import { requestFor } from "../request.ts";
import { SETTINGS, casesOf, type CheckCase } from "./case.ts";
import { expectAllowedMethod, serverSettings } from "../case-helpers.ts";

const settingsCase = casesOf(OPERATIONS.getServerSettings);

export const serverSettingsCases: CheckCase[] = [
  settingsCase([200], {
    id: "server-settings.conforms",
    title: "server_settings answers 200 with the settings a client needs before its login form",
    async run(ctx) {
      const exchange = ctx.record(await serverSettings(ctx));
      if (!ctx.expectStatus(exchange, 200)) return;
      const realmUrl = field(exchange, "realm_url");
      if (realmUrl !== undefined && field(exchange, "realm_uri") !== undefined) {
        ctx.expectField(exchange, "/realm_uri", realmUrl, ["components", "schemas", "ServerSettings", "properties", "realm_uri", "description"]);
      } else {
        ctx.note("no organisation fields (realm_url…): the base URL is the root domain of a server without a root organisation");
      }
    },
  }),
  settingsCase([200], {
    id: "server-settings.with-authorization",
    title: "server_settings answers the same when an Authorization header is sent (python-zulip-api sends one)",
    async run(ctx) {
      const basic = Buffer.from(`${ctx.username}:zulip-auth-check-not-a-key`).toString("base64");
      const exchange = await ctx.send(
        requestFor(OPERATIONS.getServerSettings, { headers: { Authorization: `Basic ${basic}` }, label: "with Authorization: Basic (a made-up key)" }),
      );
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
  }),
  settingsCase([405], {
    id: "server-settings.post-not-allowed",
    title: "POST server_settings → 405 with Allow: GET, HEAD (Django's require_safe)",
    async run(ctx) {
      const exchange = await ctx.send(requestFor(OPERATIONS.getServerSettings, { method: "POST", body: { kind: "form", fields: [] }, label: "POST" }));
      if (!ctx.expectStatus(exchange, 405)) return;
      expectAllowedMethod(ctx, exchange, "GET", [...SETTINGS, "responses", "405"]);
    },
  }),
  settingsCase([200], {
    id: "server-settings.head",
    title: "HEAD server_settings → 200 without a body (Django's require_safe allows it)",
    async run(ctx) {
      const exchange = await ctx.transport(requestFor(OPERATIONS.getServerSettings, { method: "HEAD", label: "HEAD" }));
      // No body to judge: only the status is recorded against the contract.
      ctx.record(exchange, { statusOnly: true });
      ctx.expectStatus(exchange, 200, "HEAD is GET without the body");
    },
  }),
];
