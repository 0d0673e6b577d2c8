import type { OpenAPIV3_1 } from "openapi-types";
import type { Answer } from "./answer.ts";
import { toPointer } from "./json-pointer.ts";
import type { OperationInfo } from "./operations-match.ts";
import type { Schemas } from "./schemas.ts";
import type { LoadedContract } from "./spec.ts";
import type { Violation, ViolationId } from "./violation.ts";

/** What a violation adds to its id, message and pointers. */
export interface Evidence {
  expected?: string;
  actual?: string;
}

/** The answer's JSON body, or why it is not JSON. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * An answer matched against its operation in one view of the contract: what every response check reads. The
 * declared response, the media type and the parsed body are worked out once, whichever checks ask for them.
 */
export class MatchedAnswer {
  /** The response the contract declares for the answer's status; undefined when none is. */
  readonly response: OpenAPIV3_1.ResponseObject | undefined;
  /** Pointer segments of that response in the contract (of the operation's responses when none is declared). */
  readonly responseSegments: readonly string[];
  private parsed: ParsedBody | undefined;

  constructor(
    private readonly contract: LoadedContract,
    readonly schemas: Schemas,
    readonly info: OperationInfo,
    /** The operation as the view has it. */
    readonly operation: OpenAPIV3_1.OperationObject,
    readonly answer: Answer,
  ) {
    this.response = operation.responses?.[String(answer.status)] as OpenAPIV3_1.ResponseObject | undefined;
    this.responseSegments = ["paths", info.path, info.method.toLowerCase(), "responses", ...(this.response ? [String(answer.status)] : [])];
  }

  /** The media type the response declares for the answer's Content-Type; undefined when none matches (or none is declared). */
  get mediaType(): string | undefined {
    const essence = (this.answer.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    return Object.keys(this.response?.content ?? {}).find((m) => m.toLowerCase() === essence);
  }

  /** The JSON schema of the body when the declared media type is JSON and has one. */
  get jsonSchema(): object | undefined {
    const mediaType = this.mediaType;
    if (!mediaType || !/[/+]json$/.test(mediaType)) return undefined;
    return this.response?.content?.[mediaType]?.schema as object | undefined;
  }

  /** The body parsed as JSON, once. */
  get body(): ParsedBody {
    if (!this.parsed) {
      try {
        this.parsed = { ok: true, value: JSON.parse(this.answer.bodyText) };
      } catch (error) {
        this.parsed = { ok: false, error: (error as Error).message };
      }
    }
    return this.parsed;
  }

  /** A violation of this answer, located in the contract at `specSegments` (file and line, `$ref`s followed). */
  violation(id: ViolationId, message: string, responsePointer: string, specSegments: readonly (string | number)[], evidence: Evidence = {}): Violation {
    const where = this.contract.locate(toPointer(specSegments));
    return {
      id,
      operationId: this.info.operationId,
      method: this.info.method,
      path: this.info.path,
      status: this.answer.status,
      message,
      responsePointer,
      specPointer: where.pointer,
      specFile: where.file,
      ...(where.line === undefined ? {} : { specLine: where.line }),
      ...evidence,
    };
  }
}
