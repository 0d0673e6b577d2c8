import { OPERATIONS, type Operation, operationPointer } from "../../contract/operations.ts";
import type { DeclaredStatus, OperationId } from "../../contract/types.ts";
import type { CaseContext } from "../case-context.ts";

/** One scenario the checker runs against a server, with a stable id such as `fetch-api-key.wrong-password`. */
export interface CheckCase {
  id: string;
  /** One line: what the case asks of the server. */
  title: string;
  operations: OperationId[];
  /** The declared statuses this case expects to see; explains the coverage table's gaps. */
  provokes: Partial<Record<OperationId, number[]>>;
  /** Whether it needs the login with the given password (made once, before every case, and stopping the run if refused). */
  usesPassword?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

export const FETCH = operationPointer(OPERATIONS.fetchApiKey);
export const DEV_FETCH = operationPointer(OPERATIONS.devFetchApiKey);
export const SETTINGS = operationPointer(OPERATIONS.getServerSettings);

/** The maker of the cases about one operation: each names the statuses of it that it expects (the common shape of the cases). */
export function casesOf<Op extends OperationId>({
  operationId,
}: Operation<Op>): (statuses: DeclaredStatus<Op>[], check: Omit<CheckCase, "operations" | "provokes">) => CheckCase {
  return (statuses, check) => {
    const { id, title, ...rest } = check;
    return { id, title, operations: [operationId], provokes: { [operationId]: statuses }, ...rest };
  };
}
