import type { OpenAPIV3_1 } from "openapi-types";
import { isJsonObject } from "../shared/text.ts";
import type { OperationInfo } from "./operations-match.ts";

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** The operations a contract document declares, with their statuses and error codes, in the document's order. */
export function declaredOperations(doc: OpenAPIV3_1.Document): OperationInfo[] {
  const operations: OperationInfo[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op?.operationId) continue;
      const statuses = Object.keys(op.responses ?? {})
        .map(Number)
        .sort((a, b) => a - b);
      const codes: Record<string, number> = {};
      for (const status of statuses) {
        const schema = (op.responses?.[String(status)] as OpenAPIV3_1.ResponseObject | undefined)?.content?.["application/json"]?.schema;
        for (const code of codesOf(schema)) codes[code] = status;
      }
      operations.push({ operationId: op.operationId, method: method.toUpperCase(), path, statuses, codes });
    }
  }
  return operations;
}

/** The error codes a response schema allows: its `code` property's const or enum, through oneOf, anyOf and allOf. */
function codesOf(schema: unknown): string[] {
  if (!isJsonObject(schema)) return [];
  const code = isJsonObject(schema.properties) ? schema.properties.code : undefined;
  const own = !isJsonObject(code) ? [] : code.const !== undefined ? [code.const] : Array.isArray(code.enum) ? code.enum : [];
  const nested = ["oneOf", "anyOf", "allOf"].flatMap((k) => (Array.isArray(schema[k]) ? schema[k].flatMap(codesOf) : []));
  return [...own, ...nested].map(String);
}
