import type { OpenAPIV3_1 } from "openapi-types";
import { type Advisory, advisoriesOf } from "./advisories.ts";
import type { Answer } from "./answer.ts";
import { declaredOperations } from "./declared-operations.ts";
import { valueAt } from "./json-pointer.ts";
import { ContractViews, type JudgeOptions } from "./levels.ts";
import { MatchedAnswer } from "./matched-answer.ts";
import { assertOperationsMatch, type OperationInfo } from "./operations-match.ts";
import { RESPONSE_CHECKS } from "./response-checks.ts";
import { Schemas } from "./schemas.ts";
import { type LoadedContract, loadContract } from "./spec.ts";
import type { Violation } from "./violation.ts";

// The contract's runtime checks are this module's: callers import the types they pass and get from here.
export { type Advisory, type AdvisorySeverity, isUnlistedField, UNLISTED_FIELD } from "./advisories.ts";
export { type Answer, answerFromResponse } from "./answer.ts";
export type { ContractLevel, JudgeOptions } from "./levels.ts";
export type { MatchedAnswer } from "./matched-answer.ts";
export type { OperationInfo } from "./operations-match.ts";
export type { Violation, ViolationId } from "./violation.ts";

/** Validates responses and values against the contract. */
export interface ContractValidator {
  contract: LoadedContract;
  operations: readonly OperationInfo[];
  /** The operation with this id; throws on an id the contract does not have (a programming error). */
  operation(operationId: string): OperationInfo;
  /** The answer matched against its operation in a view of the contract, as each response check reads it. */
  matchAnswer(operationId: string, answer: Answer, options?: JudgeOptions): MatchedAnswer;
  /** Every way `answer` breaks the contract for `operationId` (every response check's violations); empty when it conforms. */
  validateResponse(operationId: string, answer: Answer, options?: JudgeOptions): Violation[];
  /** The advisories of an answer: strict-level violations the Zulip level accepts, where the contract has an `x-advisory`. */
  adviseResponse(operationId: string, answer: Answer, options?: Omit<JudgeOptions, "level">): Advisory[];
  /** Validates a value against the schema at a pointer of the contract (used for the document's examples). */
  validateValue(schemaPointer: string, value: unknown): string[];
}

let cached: Promise<ContractValidator> | undefined;

/** The one validator of the contract, built once per process. */
export function getContractValidator(): Promise<ContractValidator> {
  cached ??= loadContract().then(buildValidator);
  return cached;
}

function buildValidator(contract: LoadedContract): ContractValidator {
  const views = new ContractViews(contract.dereferenced);
  const schemas = new Schemas();
  const operations = declaredOperations(views.of());
  assertOperationsMatch(operations);
  const byId = new Map(operations.map((info) => [info.operationId, info]));

  const operation = (operationId: string): OperationInfo => {
    const found = byId.get(operationId);
    if (!found) throw new Error(`the contract has no operation ${operationId}`);
    return found;
  };
  const matchAnswer = (operationId: string, answer: Answer, options: JudgeOptions = {}): MatchedAnswer => {
    const info = operation(operationId);
    const op = (views.of(options).paths![info.path] as Record<string, OpenAPIV3_1.OperationObject>)[info.method.toLowerCase()]!;
    return new MatchedAnswer(contract, schemas, info, op, answer);
  };
  const validateResponse = (operationId: string, answer: Answer, options: JudgeOptions = {}): Violation[] => {
    const matched = matchAnswer(operationId, answer, options);
    return RESPONSE_CHECKS.flatMap((check) => check(matched));
  };

  return {
    contract,
    operations,
    operation,
    matchAnswer,
    validateResponse,
    adviseResponse: (operationId, answer, options = {}) =>
      advisoriesOf(contract.raw, answer, (level) => validateResponse(operationId, answer, { ...options, level })),
    validateValue(schemaPointer, value) {
      const schema = valueAt(views.of(), schemaPointer);
      if (typeof schema !== "object" || schema === null) throw new Error(`no schema at ${schemaPointer}`);
      return schemas.errors(schema, value).map((e) => `${e.responsePointer || "/"}: ${e.message}`);
    },
  };
}
