/** Stable ids of the checks applied to every response (each named check in response-checks.ts owns its ids). */
export type ViolationId =
  | "status-undeclared"
  | "content-type-undeclared"
  | "body-not-json"
  | "body-schema"
  | "body-unexpected-property"
  | "header-missing"
  | "header-invalid"
  | "header-undeclared";

/** One way a response breaks the contract, with pointers into both the response and the contract. */
export interface Violation {
  id: ViolationId;
  operationId: string;
  method: string;
  path: string;
  status: number;
  message: string;
  /** JSON pointer into the response body ("" is the whole body), or `header:<Name>`. */
  responsePointer: string;
  /** JSON pointer into the contract, after following `$ref`s. */
  specPointer: string;
  specFile: string;
  specLine?: number;
  expected?: string;
  actual?: string;
}
