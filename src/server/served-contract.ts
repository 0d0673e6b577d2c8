import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Document, isMap, parseDocument } from "yaml";
import { API_BASE_PATH, CONTRACT_PATH } from "../contract/spec.ts";

/** The contract as this server publishes it, in both formats. */
export interface ServedContract {
  yaml: string;
  json: string;
}

/** The files served: the contract, and its Zulip level for other tools (scripts/generate-zulip-level.ts writes it beside). */
export const SERVED_FILES = { contract: CONTRACT_PATH, "zulip-level": join(dirname(CONTRACT_PATH), "zulip-level.yaml") } as const;
export type ServedFile = keyof typeof SERVED_FILES;

const sources = new Map<ServedFile, { doc: Document; rootPaths: string[] }>();

/** The contract per origin it was served for; bounded, since the origin comes from the request's Host. */
const served = new Map<string, ServedContract>();
const MAX_SERVED = 64;

/** The contract's document, parsed once, and the paths that override the servers (e.g. /healthz, at the root). */
function load(file: ServedFile): { doc: Document; rootPaths: string[] } {
  const path = SERVED_FILES[file];
  const doc = parseDocument(readFileSync(path, "utf8"));
  if (!doc.has("servers")) throw new Error(`${path} has no top-level servers entry to fill in`);
  const paths = doc.get("paths");
  const rootPaths = isMap(paths) ? paths.items.filter((item) => isMap(item.value) && item.value.has("servers")).map((item) => String(item.key)) : [];
  return { doc, rootPaths };
}

/**
 * The contract as written (layout, `$ref`s and key order kept by yaml's Document), with its templated servers
 * replaced by the URLs that reach this server (the API under /api/v1, and the root for paths that override it
 * such as /healthz), so that a reader's "try it" goes here.
 */
export function servedContract(origin: string, file: ServedFile = "contract"): ServedContract {
  const key = `${file} ${origin}`;
  let contract = served.get(key);
  if (!contract) {
    if (served.size >= MAX_SERVED) served.clear();
    contract = fillIn(origin, file);
    served.set(key, contract);
  }
  return contract;
}

function fillIn(origin: string, file: ServedFile): ServedContract {
  let source = sources.get(file);
  if (!source) {
    source = load(file);
    sources.set(file, source);
  }
  const doc = source.doc.clone();
  doc.setIn(["servers"], doc.createNode([{ url: `${origin}${API_BASE_PATH}`, description: "This server." }]));
  for (const path of source.rootPaths) doc.setIn(["paths", path, "servers"], doc.createNode([{ url: origin, description: "This server's root." }]));
  // lineWidth 0: long descriptions stay on their lines, as written.
  return { yaml: doc.toString({ lineWidth: 0 }), json: JSON.stringify(doc.toJS(), null, 2) + "\n" };
}
