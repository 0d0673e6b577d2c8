import { isDeepStrictEqual } from "node:util";
import { ALL_OPERATIONS } from "./operations.ts";

/** What the contract declares for one operation. */
export interface OperationInfo {
  operationId: string;
  method: string;
  /** The path under the server URL, e.g. "/fetch_api_key". */
  path: string;
  /** Declared statuses, ascending. */
  statuses: number[];
  /** Each error code a JSON answer may carry, with its status. */
  codes: Record<string, number>;
}

/**
 * Throws unless the operations table (operations.ts: what the server, the client and the checker use) is the
 * loaded contract's: the generated types check the table at compile time, this checks that they were generated
 * from this contract.
 */
export function assertOperationsMatch(declared: readonly OperationInfo[]): void {
  const byId = new Map(declared.map((info) => [info.operationId, info]));
  const mismatch = ALL_OPERATIONS.find((t) => {
    const info = byId.get(t.operationId);
    return !info || !isDeepStrictEqual(info, { operationId: t.operationId, method: t.method, path: t.path, statuses: [...t.statuses], codes: { ...t.codes } });
  });
  if (mismatch || ALL_OPERATIONS.length !== declared.length) {
    throw new Error(`src/contract/operations.ts does not match the contract${mismatch ? ` at ${mismatch.operationId}` : ""}`);
  }
}
