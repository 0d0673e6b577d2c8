import { isDeepStrictEqual } from "node:util";
import { OPERATIONS } from "../../contract/operations.ts";
import { EarlyEnd } from "../early-end.ts";
import { field } from "../exchange.ts";
import { runProperty, sentValue } from "./property.ts";

const LOGINS = new Set<string>([OPERATIONS.fetchApiKey.operationId, OPERATIONS.devFetchApiKey.operationId]);

/**
 * Every success for the account returns the same api_key, email and user_id. Zulip's api_fetch_api_key answers
 * `process_api_key_fetch_authenticate_result`'s key (`get_api_key`: the stored key, made once per user),
 * `user_profile.delivery_email` and `user_profile.id`: none changes between two logins.
 */
export const identityStable = runProperty({
  id: "identity-stable",
  title: "identity is stable: every success for the account returns the same api_key, email and user_id",
  usesPassword: true,
  async judge(ctx, answers) {
    await ctx.successfulLogin();
    // The run's second login, if no case has made it yet (it stays within the budget).
    await ctx.secondLogin().catch((error: unknown) => {
      if (!(error instanceof EarlyEnd)) throw error;
    });
    const mine = ctx
      .transcript()
      .map((t) => t.exchange)
      .filter((e) => LOGINS.has(e.spec.operationId) && e.answer.status === 200 && sentValue(e, "username")?.toLowerCase() === ctx.username.toLowerCase());
    const identity = (e: (typeof answers)[number]) => ({ api_key: field(e, "api_key"), email: field(e, "email"), user_id: field(e, "user_id") });
    const [first, ...rest] = mine;
    if (first === undefined || rest.length === 0) return ctx.notChecked("the account logged in only once in this run");
    ctx.note(`${mine.length} successful logins compared`);
    for (const other of rest) {
      const [a, b] = [identity(first), identity(other)];
      const differs = (Object.keys(a) as (keyof typeof a)[]).filter((k) => !isDeepStrictEqual(a[k], b[k]));
      if (differs.length === 0) continue;
      ctx.fail(other, "identity-changed", `${other.spec.label ?? "a login"} returned another ${differs.join(", ")} than the first login`, {
        spec: ["components", "schemas", "ApiKeySuccess", "properties", differs[0]!],
        pointer: `/${differs[0]!}`,
        expected: `as the first login: ${differs.map((k) => (k === "api_key" ? "api_key (not shown)" : `${k} ${JSON.stringify(a[k])}`)).join(", ")}`,
        actual: differs.map((k) => (k === "api_key" ? "another api_key (not shown)" : `${k} ${JSON.stringify(b[k]) ?? "(absent)"}`)).join(", "),
      });
    }
  },
});
