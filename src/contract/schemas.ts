import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { truncate } from "../shared/text.ts";
import { escapeSegment, parsePointer, valueAt } from "./json-pointer.ts";
import type { ViolationId } from "./violation.ts";

// ajv-formats is CommonJS; under NodeNext its function sits on `.default`.
const addFormats = addFormatsModule.default;

/** One way a value breaks a schema, with segments into the schema (to prefix with where the schema sits). */
export interface SchemaError {
  id: Extract<ViolationId, "body-schema" | "body-unexpected-property">;
  message: string;
  /** JSON pointer into the value ("" is the whole value). */
  responsePointer: string;
  schemaSegments: string[];
  expected: string;
  actual: string;
}

/** The contract's schemas compiled with Ajv 2020, each once: bodies as they are, header values coerced from text. */
export class Schemas {
  private readonly bodyAjv = newAjv(false);
  private readonly headerAjv = newAjv(true);
  private readonly bodies = new WeakMap<object, ValidateFunction>();
  private readonly headers = new WeakMap<object, ValidateFunction>();

  /** Every way `value` breaks `schema`; a `oneOf` of coded errors is narrowed to the branch the value's `code` names. */
  errors(schema: object, value: unknown): SchemaError[] {
    const validate = compiled(this.bodies, schema, () => this.bodyAjv.compile(schema));
    if (validate(value)) return [];
    const branches = (schema as { oneOf?: object[] }).oneOf;
    const code = (value as { code?: unknown } | null)?.code;
    if (branches && typeof code === "string") {
      const index = branches.findIndex((b) => (b as { properties?: { code?: { const?: unknown } } }).properties?.code?.const === code);
      if (index >= 0) {
        return this.errors(branches[index]!, value).map((e) => ({ ...e, schemaSegments: ["oneOf", String(index), ...e.schemaSegments] }));
      }
    }
    return (validate.errors ?? []).map((e) => toSchemaError(e, value));
  }

  /** Why a header's text breaks its schema (Ajv's message), or undefined when it conforms. */
  headerError(schema: object, text: string): string | undefined {
    // Ajv coerces only properties, so the value is wrapped; the wrapper is compiled once per header schema.
    const validate = compiled(this.headers, schema, () => this.headerAjv.compile({ type: "object", properties: { value: schema } }));
    return validate({ value: text }) ? undefined : (validate.errors?.[0]?.message ?? "invalid");
  }
}

function compiled(cache: WeakMap<object, ValidateFunction>, schema: object, compile: () => ValidateFunction): ValidateFunction {
  let validate = cache.get(schema);
  if (!validate) {
    validate = compile();
    cache.set(schema, validate);
  }
  return validate;
}

function newAjv(coerceTypes: boolean): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes });
  addFormats(ajv);
  // OpenAPI's own keywords and formats, which JSON Schema does not know.
  ajv.addFormat("password", true);
  ajv.addVocabulary(["example", "xml", "externalDocs", "discriminator"]);
  return ajv;
}

function toSchemaError(e: ErrorObject, value: unknown): SchemaError {
  const schemaSegments = parsePointer(e.schemaPath).map(decodeURIComponent);
  if (e.keyword === "additionalProperties") {
    const prop = String((e.params as { additionalProperty: string }).additionalProperty);
    return {
      id: "body-unexpected-property",
      message: `unexpected property "${prop}" (the schema is closed)`,
      responsePointer: `${e.instancePath}/${escapeSegment(prop)}`,
      schemaSegments,
      expected: "no other properties",
      actual: truncate(JSON.stringify((valueAt(value, e.instancePath) as Record<string, unknown>)[prop])),
    };
  }
  return {
    id: "body-schema",
    message: `${e.instancePath || "body"} ${e.message ?? "is invalid"}`,
    responsePointer: e.instancePath,
    schemaSegments,
    expected: `${e.keyword} ${truncate(JSON.stringify(e.params))}`,
    actual: truncate(JSON.stringify(valueAt(value, e.instancePath)) ?? "undefined"),
  };
}
