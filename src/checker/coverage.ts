import { OPERATIONS } from "../contract/operations.ts";
import { API_BASE_PATH } from "../contract/spec.ts";
import type { DeclaredStatus, OperationId } from "../contract/types.ts";
import type { OperationInfo } from "../contract/validator.ts";
import type { CheckCase } from "./cases/case.ts";
import type { CaseResult, CoverageRow } from "./report.ts";

const HOST_REASON = "it needs a Host that names no organization (the checker only talks to the base URL's host)";

/** Why no case provokes a declared status (a status the operation does not declare does not compile). */
const NOT_PROVOKED: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  [OPERATIONS.fetchApiKey.operationId]: {
    404: `${HOST_REASON}, or an account of another organization`,
  },
  [OPERATIONS.devFetchApiKey.operationId]: {
    404: HOST_REASON,
  },
  [OPERATIONS.getServerSettings.operationId]: {
    400: HOST_REASON,
  },
} satisfies { [Op in OperationId]?: Partial<Record<DeclaredStatus<Op>, string>> };
const ANY_OPERATION: Record<number, string> = {
  413: "it needs a body over the server's size limit, which the contract does not fix",
  500: "a conformant server does not fail on the checker's requests",
};

/** The coverage table: every declared status of every operation, and every status seen but not declared. */
export function buildCoverage(
  operations: readonly OperationInfo[],
  seen: readonly { caseId: string; operationId: string; status: number }[],
  cases: readonly CheckCase[],
  results: readonly CaseResult[],
): CoverageRow[] {
  const rows: CoverageRow[] = [];
  for (const op of operations) {
    const seenBy = (status: number) => [...new Set(seen.filter((s) => s.operationId === op.operationId && s.status === status).map((s) => s.caseId))];
    const base = { operationId: op.operationId, method: op.method, path: `${API_BASE_PATH}${op.path}` };
    for (const status of op.statuses) {
      const by = seenBy(status);
      rows.push(
        by.length > 0
          ? { ...base, status, declared: true, state: "observed", seenBy: by }
          : {
              ...base,
              status,
              declared: true,
              state: "not-observed",
              seenBy: [],
              reason: `not observed because ${whyNotObserved(op.operationId, status, cases, results)}`,
            },
      );
    }
    const undeclared = [...new Set(seen.filter((s) => s.operationId === op.operationId && !op.statuses.includes(s.status)).map((s) => s.status))].sort(
      (a, b) => a - b,
    );
    for (const status of undeclared) rows.push({ ...base, status, declared: false, state: "undeclared", seenBy: seenBy(status) });
  }
  return rows;
}

function whyNotObserved(operationId: string, status: number, cases: readonly CheckCase[], results: readonly CaseResult[]): string {
  const provoking = cases.filter((c) => (c.provokes as Record<string, number[] | undefined>)[operationId]?.includes(status));
  if (provoking.length === 0) return NOT_PROVOKED[operationId]?.[status] ?? ANY_OPERATION[status] ?? "no case provokes it";
  return provoking
    .map((c) => {
      const result = results.find((r) => r.id === c.id);
      if (!result || result.outcome === "not-checked") return `${c.id} was ${result?.reason ?? "not run"}`;
      const answered = [...new Set(result.exchanges.filter((e) => e.operationId === operationId).map((e) => e.status ?? "no answer"))];
      return `${c.id} was answered ${answered.join(", ") || "nothing"}`;
    })
    .join("; ");
}
