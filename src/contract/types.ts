import type { components, operations } from "../../generated/zulip-auth.ts";

/** An operationId of the contract (see OPERATIONS in operations.ts). */
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

/** The statuses of an operation's error answers. */
export type ErrorStatusOf<Op extends OperationId> = Exclude<DeclaredStatus<Op>, 200>;

/** A body whose `code` is an enum, split into one member per code so that `code` narrows it. */
type PerCode<B> = B extends { code: infer C } ? (C extends string ? Omit<B, "code"> & { code: C } : never) : never;

/** Each coded error body the contract declares for an operation, one member per code, with its HTTP status. */
export type CodedAnswer<Op extends OperationId> = {
  [S in ErrorStatusOf<Op>]: PerCode<Extract<JsonBody<Op, S>, { code: string }>> & { status: S };
}[ErrorStatusOf<Op>];

/** The error codes an operation declares for these statuses. */
export type CodeOfStatus<Op extends OperationId, S extends ErrorStatusOf<Op>> = Extract<CodedAnswer<Op>, { status: S }>["code"];

/** For each error code of an operation, the status the contract pairs it with. */
export type StatusOfCode<Op extends OperationId> = {
  [C in ErrorCode<Op>]: Extract<CodedAnswer<Op>, { code: C }>["status"];
};
