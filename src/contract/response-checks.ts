import type { OpenAPIV3_1 } from "openapi-types";
import { truncate } from "../shared/text.ts";
import type { MatchedAnswer } from "./matched-answer.ts";
import type { Violation } from "./violation.ts";

/**
 * One named check of an answer against its operation, as Schemathesis' checks are: its own violation ids, and
 * nothing to say (an empty list) when the answer passes it or it does not apply (no body to judge, say).
 */
export type ResponseCheck = (answer: MatchedAnswer) => Violation[];

/** `status-undeclared`: the contract declares a response for the answer's status. */
export const statusDocumented: ResponseCheck = (m) => {
  if (m.response) return [];
  const status = String(m.answer.status);
  return [
    m.violation("status-undeclared", `status ${status} is not declared for ${m.info.operationId}`, "", m.responseSegments, {
      expected: m.info.statuses.join(", "),
      actual: status,
    }),
  ];
};

/** `header-missing`: every header the response requires is there. */
export const requiredHeadersPresent: ResponseCheck = (m) =>
  declaredHeaders(m)
    .filter(([name, header]) => header.required && !m.answer.headers.has(name))
    .map(([name, header]) =>
      m.violation("header-missing", `required header ${name} is missing`, `header:${name}`, [...m.responseSegments, "headers", name], {
        expected: describeSchema(header.schema),
      }),
    );

/** `header-invalid`: every declared header that is there matches its schema (its text coerced as a query parameter's is). */
export const headersMatchSchemas: ResponseCheck = (m) => {
  const found: Violation[] = [];
  for (const [name, header] of declaredHeaders(m)) {
    const value = m.answer.headers.get(name);
    if (value === null || !header.schema) continue;
    const error = m.schemas.headerError(header.schema, value);
    if (error === undefined) continue;
    found.push(
      m.violation(
        "header-invalid",
        `header ${name} does not match its schema: ${error}`,
        `header:${name}`,
        [...m.responseSegments, "headers", name, "schema"],
        {
          expected: describeSchema(header.schema),
          actual: truncate(value),
        },
      ),
    );
  }
  return found;
};

/**
 * `header-undeclared`: no header the operation declares for other statuses only. Rate-limit headers on an
 * answer that was not counted, say, are drift the contract should show.
 */
export const noHeadersOfOtherStatuses: ResponseCheck = (m) => {
  if (!m.response) return [];
  const declaredHere = new Set(Object.keys(m.response.headers ?? {}).map((name) => name.toLowerCase()));
  return operationHeaders(m.operation)
    .filter((name) => !declaredHere.has(name) && m.answer.headers.has(name))
    .map((name) =>
      m.violation("header-undeclared", `header ${name} is not declared for status ${m.answer.status}`, `header:${name}`, [...m.responseSegments, "headers"], {
        expected: `no ${name} header`,
        actual: truncate(m.answer.headers.get(name)!),
      }),
    );
};

/** `content-type-undeclared`: a response that declares content has one of its media types. */
export const contentTypeDeclared: ResponseCheck = (m) => {
  const declared = Object.keys(m.response?.content ?? {});
  if (declared.length === 0 || m.mediaType) return [];
  const contentType = m.answer.headers.get("content-type") || "(none)";
  return [
    m.violation(
      "content-type-undeclared",
      `Content-Type ${contentType} is not declared for status ${m.answer.status}`,
      "header:Content-Type",
      [...m.responseSegments, "content"],
      { expected: declared.join(", "), actual: contentType },
    ),
  ];
};

/** `body-not-json`: a body declared as JSON, with a schema, parses as JSON. */
export const bodyIsJson: ResponseCheck = (m) => {
  const body = m.body;
  if (!m.jsonSchema || body.ok) return [];
  return [
    m.violation("body-not-json", `the body is not JSON: ${body.error}`, "", schemaSegments(m), {
      expected: "a JSON document",
      actual: truncate(m.answer.bodyText),
    }),
  ];
};

/** `body-schema` and `body-unexpected-property`: a JSON body matches its schema (the latter: a closed object's extra property). */
export const bodyMatchesSchema: ResponseCheck = (m) => {
  const schema = m.jsonSchema;
  const body = m.body;
  if (!schema || !body.ok) return [];
  return m.schemas
    .errors(schema, body.value)
    .map((e) => m.violation(e.id, e.message, e.responsePointer, [...schemaSegments(m), ...e.schemaSegments], { expected: e.expected, actual: e.actual }));
};

/** Every check of an answer, in the order its violations are reported. */
export const RESPONSE_CHECKS: readonly ResponseCheck[] = [
  statusDocumented,
  requiredHeadersPresent,
  headersMatchSchemas,
  noHeadersOfOtherStatuses,
  contentTypeDeclared,
  bodyIsJson,
  bodyMatchesSchema,
];

function declaredHeaders(m: MatchedAnswer): [string, OpenAPIV3_1.HeaderObject][] {
  return Object.entries(m.response?.headers ?? {}) as [string, OpenAPIV3_1.HeaderObject][];
}

const headersByOperation = new WeakMap<OpenAPIV3_1.OperationObject, string[]>();

/** The header names (lower case) any response of the operation declares, worked out once per operation of a view. */
function operationHeaders(operation: OpenAPIV3_1.OperationObject): string[] {
  let names = headersByOperation.get(operation);
  if (!names) {
    const responses = Object.values(operation.responses ?? {}) as OpenAPIV3_1.ResponseObject[];
    names = [...new Set(responses.flatMap((r) => Object.keys(r.headers ?? {}).map((name) => name.toLowerCase())))];
    headersByOperation.set(operation, names);
  }
  return names;
}

function schemaSegments(m: MatchedAnswer): string[] {
  return [...m.responseSegments, "content", m.mediaType!, "schema"];
}

function describeSchema(schema: unknown): string {
  return truncate(JSON.stringify(schema) ?? "any");
}
