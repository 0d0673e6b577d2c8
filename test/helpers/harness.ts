import { expect } from "vitest";
import type { OperationId } from "../../src/contract/types.ts";
import { answerFromResponse, getContractValidator } from "../../src/contract/validator.ts";

export { createTestServer, form, multipart, TEST_HASH, type TestServer, USERS } from "./test-server.ts";

/**
 * Validates a response against the contract for `operationId` (failing the test on any violation) and
 * returns its status, headers and parsed body.
 */
export async function conformant<T = Record<string, unknown>>(
  operationId: OperationId,
  response: Response,
): Promise<{ status: number; headers: Headers; body: T; text: string }> {
  const validator = await getContractValidator();
  const answer = await answerFromResponse(response);
  expect(validator.validateResponse(operationId, answer), `${operationId} ${answer.status} ${answer.bodyText}`).toEqual([]);
  expect(answer.bodyText.endsWith("}\n"), "Zulip's wire format: compact JSON and a newline").toBe(true);
  return { status: answer.status, headers: answer.headers, body: JSON.parse(answer.bodyText) as T, text: answer.bodyText };
}
