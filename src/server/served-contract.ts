import { readFileSync } from "node:fs";
import { isMap, isScalar, parseDocument, stringify } from "yaml";
import { API_BASE_PATH, CONTRACT_PATH, type OpenApiDocument } from "../contract/spec.ts";

/** The contract as this server publishes it, in both formats. */
export interface ServedContract {
  yaml: string;
  json: string;
}

interface Source {
  text: string;
  doc: OpenApiDocument;
  /** Where the top-level `servers` entry is written: from its key to the end of its value. */
  servers: { start: number; end: number };
}

let source: Source | undefined;

function load(): Source {
  const text = readFileSync(CONTRACT_PATH, "utf8");
  const yamlDoc = parseDocument(text);
  const pair = isMap(yamlDoc.contents) ? yamlDoc.contents.items.find((p) => isScalar(p.key) && p.key.value === "servers") : undefined;
  const keyRange = isScalar(pair?.key) ? pair.key.range : undefined;
  const valueRange = (pair?.value as { range?: [number, number, number] } | undefined)?.range;
  if (!keyRange || !valueRange) throw new Error(`${CONTRACT_PATH} has no top-level servers entry to fill in`);
  return { text, doc: yamlDoc.toJS() as OpenApiDocument, servers: { start: keyRange[0], end: valueRange[1] } };
}

/**
 * The contract as written (layout, `$ref`s and key order kept), with its templated server replaced by the one
 * URL that reaches this server, so that a reader's "try it" goes here.
 */
export function servedContract(origin: string): ServedContract {
  source ??= load();
  const servers = [{ url: `${origin}${API_BASE_PATH}`, description: "This server." }];
  // Text surgery rather than re-serialising: yaml's stringifier would rewrite the file's flow collections.
  const entry = stringify({ servers }).trimEnd();
  const rest = source.text.slice(source.servers.end);
  return {
    // A block value's range takes its closing line break with it; a flow value's does not.
    yaml: source.text.slice(0, source.servers.start) + entry + (rest.startsWith("\n") ? "" : "\n") + rest,
    json: JSON.stringify({ ...source.doc, servers }, null, 2) + "\n",
  };
}
