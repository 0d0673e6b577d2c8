import type { components, operations } from "../../generated/zulip-auth.ts";

/** An operationId of the contract ("fetch-api-key", …). */
export type OperationId = keyof operations;

type Responses<Op extends OperationId> = operations[Op]["responses"];

/** The statuses the contract declares for an operation. */
export type DeclaredStatus<Op extends OperationId> = keyof Responses<Op> & number;

/** The JSON body the contract allows for an operation and status. */
export type JsonBody<Op extends OperationId, S extends DeclaredStatus<Op>> = Responses<Op>[S] extends {
  content: { "application/json": infer B };
}
  ? B
  : never;

/** The form body an operation takes. */
export type RequestForm<Op extends OperationId> = operations[Op] extends {
  requestBody: { content: { "application/x-www-form-urlencoded": infer B } };
}
  ? B
  : never;

/** A schema of the contract, by its component name. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** Every error `code` the contract declares for an operation. */
export type ErrorCode<Op extends OperationId> = Extract<JsonBody<Op, DeclaredStatus<Op>>, { code: string }>["code"];
