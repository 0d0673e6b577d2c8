import { OPERATIONS } from "../../contract/operations.ts";
import type { CaseContext } from "../case-context.ts";
import type { CheckCase } from "../cases/case.ts";
import type { Exchange } from "../exchange.ts";

/**
 * A property of the whole run: judged once every case has run, over every answer of the run (the transcript),
 * as Schemathesis' checks judge each response. Its findings point at the answers that break it.
 */
export function runProperty(check: {
  id: string;
  title: string;
  usesPassword?: boolean;
  judge(ctx: CaseContext, answers: readonly Exchange[]): Promise<void> | void;
}): CheckCase {
  return {
    id: `property.${check.id}`,
    title: check.title,
    operations: [OPERATIONS.getServerSettings.operationId, OPERATIONS.fetchApiKey.operationId, OPERATIONS.devFetchApiKey.operationId],
    provokes: {},
    ...(check.usesPassword ? { usesPassword: true } : {}),
    run: async (ctx) =>
      check.judge(
        ctx,
        ctx.transcript().map((t) => t.exchange),
      ),
  };
}

/** The value of a parameter a request sent (body or query string), as sent. */
export function sentValue(exchange: Exchange, name: string): string | undefined {
  const found = [...(exchange.spec.body?.fields ?? []), ...(exchange.spec.query ?? [])].find(([k]) => k === name)?.[1];
  return found === undefined ? undefined : typeof found === "string" ? found : found.value;
}
