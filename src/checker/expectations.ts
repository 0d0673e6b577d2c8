import { toPointer, valueAt } from "../contract/json-pointer.ts";
import { type Operation, operationPointer } from "../contract/operations.ts";
import type { CodeOfStatus, ErrorStatusOf, OperationId } from "../contract/types.ts";
import { truncate } from "../shared/text.ts";
import { type Exchange, field } from "./exchange.ts";
import { CaseRecording } from "./recording.ts";

/** What a case expects of an answer beyond the contract's schemas, each unmet expectation a finding. */
export class Expectations extends CaseRecording {
  /** Records `unexpected-status` unless the answer has `status`; true when it has. */
  expectStatus(exchange: Exchange, status: number, why = ""): boolean {
    const actual = exchange.answer.status;
    if (actual === status) return true;
    this.fail(exchange, "unexpected-status", `expected ${status}${why ? ` (${why})` : ""}, got ${actual}${codeOf(exchange)}`, {
      spec: this.responseSpec(exchange, status),
      expected: String(status),
      actual: `${actual} ${truncate(exchange.answer.bodyText.trim())}`,
    });
    return false;
  }

  /** Records `unexpected-value` unless the body's field at `pointer` equals `expected`; true when it does. */
  expectField(exchange: Exchange, pointer: string, expected: unknown, spec: readonly (string | number)[]): boolean {
    const actual = valueAt(exchange.json, pointer);
    if (JSON.stringify(actual) === JSON.stringify(expected)) return true;
    this.fail(exchange, "unexpected-value", `${pointer} should be ${JSON.stringify(expected)}`, {
      spec,
      pointer,
      expected: JSON.stringify(expected),
      actual: actual === undefined ? "(absent)" : JSON.stringify(actual),
    });
    return false;
  }

  /** Whether a value conforms to the schema at these pointer segments of the contract. */
  conforms(schema: readonly (string | number)[], value: unknown): boolean {
    return this.run.validator.validateValue(toPointer(schema), value).length === 0;
  }

  /**
   * Records `unexpected-value` unless the answer's `code` is `code`, one the contract pairs with `status` for
   * the operation (else it does not compile); the finding points at the contract's example of that answer.
   */
  expectCode<Op extends OperationId, S extends ErrorStatusOf<Op>>(
    exchange: Exchange,
    operation: Operation<Op>,
    status: S,
    code: CodeOfStatus<Op, S>,
    example: string,
  ): boolean {
    return this.expectField(exchange, "/code", code, this.exampleSpec(operation, status, example));
  }

  /** Pointer segments of a named example of an operation's JSON answer with this status. */
  exampleSpec(operation: Operation, status: number, name: string): (string | number)[] {
    return [...operationPointer(operation), "responses", String(status), "content", "application/json", "examples", name];
  }

  /** Pointer segments of a declared response of the exchange's operation. */
  responseSpec(exchange: Exchange, status: number, ...more: (string | number)[]): (string | number)[] {
    return [...this.operationSpec(exchange.spec.operationId), "responses", String(status), ...more];
  }
}

/** " CODE" for an answer with a Zulip error code (only an upper-case code: the text is the checker's). */
export function codeOf(exchange: Exchange): string {
  const code = field(exchange, "code");
  return typeof code === "string" && /^[A-Z_]{1,64}$/.test(code) ? ` ${code}` : "";
}
