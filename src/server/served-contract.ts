import { readFileSync } from "node:fs";
import { isMap, isScalar, parseDocument, stringify, type Pair } from "yaml";
import { API_BASE_PATH, CONTRACT_PATH, type OpenApiDocument } from "../contract/spec.ts";

/** The contract as this server publishes it, in both formats. */
export interface ServedContract {
  yaml: string;
  json: string;
}

/** A `servers` entry of the file: where it is written (from its key to the end of its value) and for which path. */
interface ServersEntry {
  start: number;
  end: number;
  /** The path item that overrides the servers (e.g. /healthz, at the root), or undefined for the top level. */
  path?: string;
}

interface Source {
  text: string;
  doc: OpenApiDocument;
  entries: ServersEntry[];
}

let source: Source | undefined;

/** The contract per origin it was served for; bounded, since the origin comes from the request's Host. */
const served = new Map<string, ServedContract>();
const MAX_SERVED = 64;

function rangeOf(pair: Pair | undefined): { start: number; end: number } | undefined {
  const keyRange = isScalar(pair?.key) ? pair.key.range : undefined;
  const valueRange = (pair?.value as { range?: [number, number, number] } | undefined)?.range;
  return keyRange && valueRange ? { start: keyRange[0], end: valueRange[1] } : undefined;
}

const serversPair = (node: unknown) => (isMap(node) ? node.items.find((p) => isScalar(p.key) && p.key.value === "servers") : undefined);

function load(): Source {
  const text = readFileSync(CONTRACT_PATH, "utf8");
  const yamlDoc = parseDocument(text);
  const top = rangeOf(serversPair(yamlDoc.contents));
  if (!top) throw new Error(`${CONTRACT_PATH} has no top-level servers entry to fill in`);
  const entries: ServersEntry[] = [top];
  const paths = isMap(yamlDoc.contents) ? yamlDoc.contents.get("paths") : undefined;
  if (isMap(paths)) {
    for (const item of paths.items) {
      const range = rangeOf(serversPair(item.value));
      if (range && isScalar(item.key)) entries.push({ ...range, path: String(item.key.value) });
    }
  }
  return { text, doc: yamlDoc.toJS() as OpenApiDocument, entries };
}

/**
 * The contract as written (layout, `$ref`s and key order kept), with its templated servers replaced by the
 * URLs that reach this server (the API under /api/v1, and the root for paths that override it such as
 * /healthz), so that a reader's "try it" goes here.
 */
export function servedContract(origin: string): ServedContract {
  let contract = served.get(origin);
  if (!contract) {
    if (served.size >= MAX_SERVED) served.clear();
    contract = fillIn(origin);
    served.set(origin, contract);
  }
  return contract;
}

function fillIn(origin: string): ServedContract {
  source ??= load();
  const serversFor = (entry: ServersEntry) =>
    entry.path === undefined ? [{ url: `${origin}${API_BASE_PATH}`, description: "This server." }] : [{ url: origin, description: "This server's root." }];
  // Text surgery rather than re-serialising: yaml's stringifier would rewrite the file's flow collections.
  let yaml = source.text;
  for (const entry of [...source.entries].sort((a, b) => b.start - a.start)) {
    const column = entry.start - (yaml.lastIndexOf("\n", entry.start - 1) + 1);
    const block = stringify({ servers: serversFor(entry) })
      .trimEnd()
      .replaceAll("\n", "\n" + " ".repeat(column));
    const rest = yaml.slice(entry.end);
    // A block value's range takes its closing line break with it; a flow value's does not.
    yaml = yaml.slice(0, entry.start) + block + (rest.startsWith("\n") ? "" : "\n") + rest;
  }
  const doc = structuredClone(source.doc);
  doc.servers = serversFor(source.entries[0]!);
  for (const entry of source.entries.slice(1)) doc.paths![entry.path!]!.servers = serversFor(entry);
  return { yaml, json: JSON.stringify(doc, null, 2) + "\n" };
}
