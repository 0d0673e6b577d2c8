import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { OpenAPIV3_1 } from "openapi-types";
import { isJsonObject, type JsonObject, truncate } from "../shared/text.ts";
import { escapeSegment, parsePointer, toPointer, valueAt } from "./json-pointer.ts";
import { assertOperationsMatch, type OperationInfo } from "./operations-match.ts";
import { type LoadedContract, loadContract } from "./spec.ts";

// ajv-formats is CommonJS; under NodeNext its function sits on `.default`.
const addFormats = addFormatsModule.default;

/** Stable ids of the checks applied to every response. */
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

/** A response as the validator sees it: status, headers and the body as received. */
export interface Answer {
  status: number;
  headers: Headers;
  bodyText: string;
}

export type { OperationInfo } from "./operations-match.ts";

/**
 * `zulip`: what every real Zulip sends (elements marked `x-zulip-auth-strict` are not required, those marked
 * `x-zulip-only` are allowed); `strict`: zulip-auth's own promises too (the reverse). See the contract's
 * info.description, "Two levels in one contract".
 */
export type ContractLevel = "zulip" | "strict";

/** Which view of the contract to judge by: the level, and the Zulip feature level the server reports. */
export interface JudgeOptions {
  /** Default `strict`: this project's own tests hold its server to every promise. */
  level?: ContractLevel;
  /** Properties marked `x-zulip-feature-level` above it are not required. Default: the latest. */
  featureLevel?: number;
}

/** How serious an advisory is; none changes the exit code. */
export type AdvisorySeverity = "low" | "medium" | "high";

/** An answer that meets Zulip's level but not the strict promise the contract annotates with `x-advisory`. */
export interface Advisory {
  id: string;
  severity: AdvisorySeverity;
  advice: string;
  /** The strict-level violation behind it. */
  violation: Violation;
}

/** Validates responses and values against the contract. */
export interface ContractValidator {
  contract: LoadedContract;
  operations: readonly OperationInfo[];
  /** The operation with this id; throws on an id the contract does not have (a programming error). */
  operation(operationId: string): OperationInfo;
  /** Every way `answer` breaks the contract for `operationId`; empty when it conforms. */
  validateResponse(operationId: string, answer: Answer, options?: JudgeOptions): Violation[];
  /** The advisories of an answer: strict-level violations the Zulip level accepts, where the contract has an `x-advisory`. */
  adviseResponse(operationId: string, answer: Answer, options?: Omit<JudgeOptions, "level">): Advisory[];
  /** Validates a value against the schema at a pointer of the contract (used for the document's examples). */
  validateValue(schemaPointer: string, value: unknown): string[];
}

/** Reads a fetch Response into an Answer (consumes the body). */
export async function answerFromResponse(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, bodyText: await response.text() };
}

let cached: Promise<ContractValidator> | undefined;

/** The one validator of the contract, built once per process. */
export function getContractValidator(): Promise<ContractValidator> {
  cached ??= loadContract().then(buildValidator);
  return cached;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

function newAjv(coerceTypes: boolean) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes });
  addFormats(ajv);
  // OpenAPI's own keywords and formats, which JSON Schema does not know.
  ajv.addFormat("password", true);
  ajv.addVocabulary(["example", "xml", "externalDocs", "discriminator"]);
  return ajv;
}

const STRICT_MARK = "x-zulip-auth-strict";
const ZULIP_ONLY_MARK = "x-zulip-only";
const FEATURE_LEVEL_MARK = "x-zulip-feature-level";
const ADVISORY_MARK = "x-advisory";

/**
 * One level's view of the dereferenced contract: the nodes the level does not hold dropped, properties newer
 * than the feature level no longer required, and every `x-` key removed (Ajv's strict mode refuses them).
 * At the Zulip level a strict header or schema is dropped; a strict media type, response or operation stays
 * declared, as a stricter answer is still a Zulip answer. At the strict level every Zulip-only node is dropped.
 */
function contractView(doc: object, level: ContractLevel, featureLevel: number): object {
  const copy = structuredClone(doc) as JsonObject;
  const drops = (child: unknown, container: "headers" | "allOf" | "other") =>
    isJsonObject(child) && (level === "strict" ? child[ZULIP_ONLY_MARK] === true : child[STRICT_MARK] === true && container !== "other");
  // First pass: requirements by feature level (reads the marks before the second pass strips them).
  const seen = new Set<object>();
  const requireByLevel = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if (isJsonObject(node) && isJsonObject(node.properties) && Array.isArray(node.required)) {
      const properties = node.properties;
      node.required = node.required.filter((name) => {
        const since = (properties[name as string] as JsonObject | undefined)?.[FEATURE_LEVEL_MARK];
        return !(typeof since === "number" && since > featureLevel);
      });
    }
    for (const child of Object.values(node)) requireByLevel(child);
  };
  requireByLevel(copy);
  const pruned = new Set<object>();
  const prune = (node: unknown): void => {
    if (typeof node !== "object" || node === null || pruned.has(node)) return;
    pruned.add(node);
    if (Array.isArray(node)) {
      node.forEach(prune);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key.startsWith("x-")) delete (node as JsonObject)[key];
      else if (key === "headers" && isJsonObject(child)) {
        for (const [name, header] of Object.entries(child)) if (drops(header, "headers")) delete child[name];
        prune(child);
      } else if (key === "allOf" && Array.isArray(child)) {
        (node as JsonObject)[key] = child.filter((member) => !drops(member, "allOf"));
        prune((node as JsonObject)[key]);
      } else if (isJsonObject(child) && drops(child, "other")) delete (node as JsonObject)[key];
      else prune(child);
    }
  };
  prune(copy);
  return copy;
}

function buildValidator(contract: LoadedContract): ContractValidator {
  const views = new Map<string, OpenAPIV3_1.Document>();
  const view = (options: JudgeOptions = {}): OpenAPIV3_1.Document => {
    const level = options.level ?? "strict";
    const featureLevel = options.featureLevel ?? Number.POSITIVE_INFINITY;
    const key = `${level} ${featureLevel}`;
    let found = views.get(key);
    if (!found) {
      found = contractView(contract.dereferenced, level, featureLevel) as OpenAPIV3_1.Document;
      views.set(key, found);
    }
    return found;
  };
  const doc = view();
  const bodyAjv = newAjv(false);
  const headerAjv = newAjv(true);
  const compiled = new Map<object, ValidateFunction>();
  const compile = (ajv: Ajv2020, schema: object) => {
    let fn = compiled.get(schema);
    if (!fn) {
      fn = ajv.compile(schema);
      compiled.set(schema, fn);
    }
    return fn;
  };

  const operations: OperationInfo[] = [];
  const byId = new Map<string, { info: OperationInfo; op: OpenAPIV3_1.OperationObject }>();
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
      const info = { operationId: op.operationId, method: method.toUpperCase(), path, statuses, codes };
      operations.push(info);
      byId.set(op.operationId, { info, op });
    }
  }

  assertOperationsMatch(operations);

  const operation = (operationId: string) => {
    const found = byId.get(operationId);
    if (!found) throw new Error(`the contract has no operation ${operationId}`);
    return found;
  };

  /** The operation as a view of the contract has it. */
  const operationIn = (operationId: string, options: JudgeOptions) => {
    const { info } = operation(operationId);
    const op = (view(options).paths![info.path] as Record<string, OpenAPIV3_1.OperationObject>)[info.method.toLowerCase()]!;
    return { info, op };
  };

  function validateResponse(operationId: string, answer: Answer, options: JudgeOptions = {}): Violation[] {
    const { info, op } = operationIn(operationId, options);
    const responsePtr = ["paths", info.path, info.method.toLowerCase(), "responses", String(answer.status)];
    const violation = (
      id: ViolationId,
      message: string,
      responsePointer: string,
      specSegments: (string | number)[],
      extra: { expected?: string; actual?: string } = {},
    ): Violation => {
      const where = contract.locate(toPointer(specSegments));
      return {
        id,
        operationId,
        method: info.method,
        path: info.path,
        status: answer.status,
        message,
        responsePointer,
        specPointer: where.pointer,
        specFile: where.file,
        ...(where.line === undefined ? {} : { specLine: where.line }),
        ...extra,
      };
    };

    const response = op.responses?.[String(answer.status)] as OpenAPIV3_1.ResponseObject | undefined;
    if (!response) {
      return [
        violation("status-undeclared", `status ${answer.status} is not declared for ${operationId}`, "", responsePtr.slice(0, -1), {
          expected: info.statuses.join(", "),
          actual: String(answer.status),
        }),
      ];
    }
    const found: Violation[] = [];

    for (const [name, header] of Object.entries(response.headers ?? {}) as [string, OpenAPIV3_1.HeaderObject][]) {
      const value = answer.headers.get(name);
      const headerPtr = [...responsePtr, "headers", name];
      if (value === null) {
        if (header.required) {
          found.push(
            violation("header-missing", `required header ${name} is missing`, `header:${name}`, headerPtr, { expected: describeSchema(header.schema) }),
          );
        }
        continue;
      }
      if (!header.schema) continue;
      const check = compile(headerAjv, { type: "object", properties: { value: header.schema } });
      if (!check({ value })) {
        found.push(
          violation(
            "header-invalid",
            `header ${name} does not match its schema: ${check.errors?.[0]?.message ?? "invalid"}`,
            `header:${name}`,
            [...headerPtr, "schema"],
            {
              expected: describeSchema(header.schema),
              actual: truncate(value),
            },
          ),
        );
      }
    }

    // A header the operation declares for other statuses but not this one (rate-limit headers on an answer
    // that was not counted, say) is drift the contract should show.
    const declaredHere = new Set(Object.keys(response.headers ?? {}).map((h) => h.toLowerCase()));
    const operationHeaders = new Set(
      Object.values(op.responses ?? {}).flatMap((r) => Object.keys((r as OpenAPIV3_1.ResponseObject).headers ?? {}).map((n) => n.toLowerCase())),
    );
    for (const name of operationHeaders) {
      if (!declaredHere.has(name) && answer.headers.has(name)) {
        found.push(
          violation("header-undeclared", `header ${name} is not declared for status ${answer.status}`, `header:${name}`, [...responsePtr, "headers"], {
            expected: `no ${name} header`,
            actual: truncate(answer.headers.get(name)!),
          }),
        );
      }
    }

    const content = response.content ?? {};
    const declared = Object.keys(content);
    if (declared.length === 0) return found;
    const contentType = answer.headers.get("content-type") ?? "";
    const essence = contentType.split(";")[0]!.trim().toLowerCase();
    const mediaType = declared.find((m) => m.toLowerCase() === essence);
    if (!mediaType) {
      found.push(
        violation(
          "content-type-undeclared",
          `Content-Type ${contentType || "(none)"} is not declared for status ${answer.status}`,
          "header:Content-Type",
          [...responsePtr, "content"],
          {
            expected: declared.join(", "),
            actual: contentType || "(none)",
          },
        ),
      );
      return found;
    }
    const schema = content[mediaType]?.schema as object | undefined;
    if (!schema || !/[/+]json$/.test(mediaType)) return found;
    const schemaPtr = [...responsePtr, "content", mediaType, "schema"];

    let body: unknown;
    try {
      body = JSON.parse(answer.bodyText);
    } catch (error) {
      found.push(
        violation("body-not-json", `the body is not JSON: ${(error as Error).message}`, "", schemaPtr, {
          expected: "a JSON document",
          actual: truncate(answer.bodyText),
        }),
      );
      return found;
    }
    for (const e of schemaErrors(schema, body)) {
      found.push(violation(e.id, e.message, e.responsePointer, [...schemaPtr, ...e.schemaSegments], { expected: e.expected, actual: e.actual }));
    }
    return found;
  }

  /** Ajv errors as violations; a `oneOf` of coded errors is narrowed to the branch the body's `code` names. */
  function schemaErrors(schema: object, body: unknown): SchemaError[] {
    const validate = compile(bodyAjv, schema);
    if (validate(body)) return [];
    const branches = (schema as { oneOf?: object[] }).oneOf;
    const code = (body as { code?: unknown } | null)?.code;
    if (branches && typeof code === "string") {
      const index = branches.findIndex((b) => (b as { properties?: { code?: { const?: unknown } } }).properties?.code?.const === code);
      if (index >= 0) {
        return schemaErrors(branches[index]!, body).map((e) => ({ ...e, schemaSegments: ["oneOf", String(index), ...e.schemaSegments] }));
      }
    }
    return (validate.errors ?? []).map((e) => toSchemaError(e, body));
  }

  function adviseResponse(operationId: string, answer: Answer, options: Omit<JudgeOptions, "level"> = {}): Advisory[] {
    const key = (v: Violation) => `${v.id} ${v.responsePointer}`;
    const zulip = new Set(validateResponse(operationId, answer, { ...options, level: "zulip" }).map(key));
    const advisories: Advisory[] = [];
    for (const violation of validateResponse(operationId, answer, { ...options, level: "strict" })) {
      if (zulip.has(key(violation))) continue;
      const annotation = advisoryFor(violation, answer);
      if (annotation) advisories.push({ ...annotation, violation });
    }
    return advisories;
  }

  /** The `x-advisory` of the node a strict violation points at (or its nearest ancestor); for a media type, the answer's. */
  function advisoryFor(violation: Violation, answer: Answer): Omit<Advisory, "violation"> | undefined {
    const segments = parsePointer(violation.specPointer);
    const at = (path: string[]) => path.reduce<unknown>((n, s) => (isJsonObject(n) ? n[s] : undefined), contract.raw);
    if (violation.id === "content-type-undeclared") {
      const essence = (answer.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      const media = at([...segments, essence]);
      return isJsonObject(media) ? readAdvisory(media[ADVISORY_MARK]) : undefined;
    }
    for (let n = segments.length; n > 0; n--) {
      const node = at(segments.slice(0, n));
      const found = isJsonObject(node) ? readAdvisory(node[ADVISORY_MARK]) : undefined;
      if (found) return found;
    }
    return undefined;
  }

  function validateValue(schemaPointer: string, value: unknown): string[] {
    const schema = valueAt(doc, schemaPointer);
    if (typeof schema !== "object" || schema === null) throw new Error(`no schema at ${schemaPointer}`);
    return schemaErrors(schema, value).map((e) => `${e.responsePointer || "/"}: ${e.message}`);
  }

  return { contract, operations, operation: (id) => operation(id).info, validateResponse, adviseResponse, validateValue };
}

/** The error codes a response schema allows: its `code` property's const or enum, through oneOf, anyOf and allOf. */
function codesOf(schema: unknown): string[] {
  if (!isJsonObject(schema)) return [];
  const code = isJsonObject(schema.properties) ? schema.properties.code : undefined;
  const own = !isJsonObject(code) ? [] : code.const !== undefined ? [code.const] : Array.isArray(code.enum) ? code.enum : [];
  const nested = ["oneOf", "anyOf", "allOf"].flatMap((k) => (Array.isArray(schema[k]) ? schema[k].flatMap(codesOf) : []));
  return [...own, ...nested].map(String);
}

function readAdvisory(value: unknown): Omit<Advisory, "violation"> | undefined {
  if (!isJsonObject(value) || typeof value.id !== "string" || typeof value.advice !== "string") return undefined;
  const severity = value.severity === "high" || value.severity === "medium" ? value.severity : "low";
  return { id: value.id, severity, advice: value.advice };
}

interface SchemaError {
  id: ViolationId;
  message: string;
  responsePointer: string;
  schemaSegments: string[];
  expected: string;
  actual: string;
}

function toSchemaError(e: ErrorObject, body: unknown): SchemaError {
  const schemaSegments = parsePointer(e.schemaPath).map(decodeURIComponent);
  if (e.keyword === "additionalProperties") {
    const prop = String((e.params as { additionalProperty: string }).additionalProperty);
    const pointer = `${e.instancePath}/${escapeSegment(prop)}`;
    return {
      id: "body-unexpected-property",
      message: `unexpected property "${prop}" (the schema is closed)`,
      responsePointer: pointer,
      schemaSegments,
      expected: "no other properties",
      actual: truncate(JSON.stringify((valueAt(body, e.instancePath) as Record<string, unknown>)[prop])),
    };
  }
  return {
    id: "body-schema",
    message: `${e.instancePath || "body"} ${e.message ?? "is invalid"}`,
    responsePointer: e.instancePath,
    schemaSegments,
    expected: `${e.keyword} ${truncate(JSON.stringify(e.params))}`,
    actual: truncate(JSON.stringify(valueAt(body, e.instancePath)) ?? "undefined"),
  };
}

function describeSchema(schema: unknown): string {
  return truncate(JSON.stringify(schema) ?? "any");
}
