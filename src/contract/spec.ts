import { readFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import type { OpenAPIV3_1 } from "openapi-types";
import { LineCounter, parseDocument } from "yaml";
import { packageRoot } from "../shared/package-root.ts";
import { parsePointer, toPointer } from "./json-pointer.ts";
import { CONTRACT_FILE } from "./locations.ts";

export { CONTRACT_FILE } from "./locations.ts";

/** Where the contract lives, as an absolute path. */
export const CONTRACT_PATH = join(packageRoot(), CONTRACT_FILE);

export { API_BASE_PATH } from "./locations.ts";

export type OpenApiDocument = OpenAPIV3_1.Document;

/** The contract in two forms: as written (to point at lines) and dereferenced (to validate with). */
export interface LoadedContract {
  raw: OpenApiDocument;
  dereferenced: OpenApiDocument;
  /** Follows a JSON pointer through `$ref`s in the raw document: where in the file it is written. */
  locate(pointer: string): { pointer: string; file: string; line?: number };
}

let cached: Promise<LoadedContract> | undefined;

/** Loads, validates (swagger-parser) and dereferences the contract once per process. */
export function loadContract(): Promise<LoadedContract> {
  cached ??= load();
  return cached;
}

async function load(): Promise<LoadedContract> {
  const text = readFileSync(CONTRACT_PATH, "utf8");
  const lineCounter = new LineCounter();
  const yamlDoc = parseDocument(text, { lineCounter });
  const raw = yamlDoc.toJS() as OpenApiDocument;
  // validate() dereferences too; it works on a copy so `raw` keeps its $refs.
  const dereferenced = (await SwaggerParser.validate(structuredClone(raw) as never)) as OpenApiDocument;

  const locate = (pointer: string) => {
    const segments = resolvePointer(raw, pointer);
    const node = yamlDoc.getIn(segments, true) as { range?: [number, number, number] } | undefined;
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    return { pointer: toPointer(segments), file: CONTRACT_FILE, ...(line === undefined ? {} : { line }) };
  };
  return { raw, dereferenced, locate };
}

/** Walks `pointer` through `doc`, jumping through local `$ref`s, and returns the final segments. */
function resolvePointer(doc: unknown, pointer: string): string[] {
  let path: string[] = [];
  let node: unknown = doc;
  const follow = () => {
    for (let hops = 0; hops < 32 && isRef(node); hops++) {
      path = parsePointer(node.$ref);
      node = path.reduce<unknown>((n, s) => (n as Record<string, unknown> | undefined)?.[s], doc);
    }
  };
  for (const segment of parsePointer(pointer)) {
    follow();
    if (node === null || typeof node !== "object") break;
    node = (node as Record<string, unknown>)[segment];
    path = [...path, segment];
  }
  follow();
  return path;
}

function isRef(node: unknown): node is { $ref: string } {
  return typeof node === "object" && node !== null && typeof (node as { $ref?: unknown }).$ref === "string";
}
