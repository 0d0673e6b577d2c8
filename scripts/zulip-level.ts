// The Zulip level of the contract as a file of its own, for tools that cannot read zulip-auth's vendor
// extensions (Prism, Schemathesis, Dredd…): what every real Zulip 8–11 sends, nothing more.
import { parse, stringify } from "yaml";

/** The published file, next to the contract it is generated from. */
export const ZULIP_LEVEL_FILE = "openapi/zulip-level.yaml";

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === "object" && value !== null && !Array.isArray(value);

const STRICT = "x-zulip-auth-strict";
/** The marks that only zulip-auth's own tools read: gone once the level is chosen. */
const LEVEL_MARKS = [STRICT, "x-zulip-only", "x-advisory"];

/** The component a local `$ref` names ("#/components/headers/X-Request-Id" → that node). */
function resolve(doc: Node, ref: string): unknown {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce<unknown>((node, key) => (isNode(node) ? node[key.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined), doc);
}

/** Whether a node, or the component its `$ref` names, is one of zulip-auth's own promises. */
const isStrict = (doc: Node, node: unknown): boolean =>
  isNode(node) && (node[STRICT] === true || (typeof node.$ref === "string" && isStrict(doc, resolve(doc, node.$ref))));

/**
 * The Zulip-level view of the contract's text, as YAML: strict-only headers, schema members and operations
 * left out; properties newer than some Zulip (`x-zulip-feature-level`) not required; the objects of success
 * answers and requests open to fields a newer Zulip or a client adds; the level marks removed; components nothing uses any more dropped.
 */
export function zulipLevelYaml(contractText: string): string {
  const doc = parse(contractText) as Node;
  // Strict operations (/healthz) are zulip-auth's own endpoints, not Zulip's.
  const paths = doc.paths as Node;
  for (const [path, item] of Object.entries(paths)) {
    if (!isNode(item)) continue;
    for (const [method, op] of Object.entries(item)) if (isStrict(doc, op)) delete item[method];
    if (!Object.values(item).some((op) => isNode(op) && "responses" in op)) delete paths[path];
  }
  openExtensibleObjects(doc);
  // Two passes: a $ref is judged by its component's marks, so the marks go only once every node is judged.
  const components = doc.components as Node;
  const judge = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(judge);
      return;
    }
    if (!isNode(node)) return;
    // The headers of a response (components.headers is the components' own list, pruned once unused).
    if (isNode(node.headers) && node !== components)
      for (const [name, header] of Object.entries(node.headers)) if (isStrict(doc, header)) delete node.headers[name];
    if (Array.isArray(node.allOf)) node.allOf = node.allOf.filter((member) => !isStrict(doc, member));
    if (isNode(node.properties) && Array.isArray(node.required)) {
      const properties = node.properties;
      node.required = node.required.filter((name) => !(isNode(properties[name as string]) && "x-zulip-feature-level" in (properties[name as string] as Node)));
    }
    Object.values(node).forEach(judge);
  };
  const unmark = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(unmark);
      return;
    }
    if (!isNode(node)) return;
    for (const mark of LEVEL_MARKS) delete node[mark];
    Object.values(node).forEach(unmark);
  };
  judge(doc);
  unmark(doc);
  pruneUnused(doc);
  const info = doc.info as Node;
  info.title = `${String(info.title)} (Zulip level)`;
  info.description = `${ZULIP_LEVEL_DESCRIPTION}\n${String(info.description).split("\n## Two levels in one contract")[0]!.trimEnd()}\n`;
  return `# Generated from openapi/zulip-auth.yaml by scripts/generate-zulip-level.ts: do not edit (npm run generate).\n${stringify(doc, { lineWidth: 0 })}`;
}

const ZULIP_LEVEL_DESCRIPTION = `The Zulip level of zulip-auth's contract (openapi/zulip-auth.yaml), for any OpenAPI tool: what every real
Zulip 8–11 sends and clients rely on. zulip-auth's own promises (Cache-Control no-store on keys, JSON 405s, an
integer Retry-After, X-Request-Id, /healthz) are left out; fields added by a later Zulip feature level are not
required; success answers may carry fields this file does not list, as Zulip's API grows by adding fields.
A real Zulip server's answers meet it; \`zulip-auth check\` judges the same level with more evidence.
`;

/**
 * Success answers (200) accept fields a newer Zulip adds, and requests parameters a client adds (Zulip lists
 * them in ignored_parameters_unsupported): their objects, and the objects inside them, are opened.
 */
function openExtensibleObjects(doc: Node): void {
  const seen = new Set<unknown>();
  const open = (node: unknown): void => {
    if (!isNode(node) && !Array.isArray(node)) return;
    if (seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach(open);
      return;
    }
    if (typeof node.$ref === "string") open(resolve(doc, node.$ref));
    if (node.additionalProperties === false) delete node.additionalProperties;
    Object.values(node).forEach(open);
  };
  for (const item of Object.values(doc.paths as Node))
    for (const op of Object.values(item as Node)) {
      const success = isNode(op) && isNode(op.responses) ? op.responses["200"] : undefined;
      const response = isNode(success) && typeof success.$ref === "string" ? resolve(doc, success.$ref) : success;
      if (isNode(response)) open(response.content);
      if (isNode(op) && isNode(op.requestBody)) open(op.requestBody.content);
    }
}

/** Drops components no longer referenced (repeatedly: a dropped one may have been the last user of another), and tags no operation uses. */
function pruneUnused(doc: Node): void {
  const components = doc.components as Record<string, Node>;
  for (let dropped = true; dropped; ) {
    dropped = false;
    const text = JSON.stringify({ ...doc, components: undefined }) + JSON.stringify(components);
    for (const [kind, entries] of Object.entries(components)) {
      for (const name of Object.keys(entries)) {
        const ref = `"#/components/${kind}/${name.replace(/~/g, "~0").replace(/\//g, "~1")}"`;
        if (!text.includes(ref)) {
          delete entries[name];
          dropped = true;
        }
      }
    }
  }
  const used = new Set(
    Object.values(doc.paths as Node).flatMap((item) => Object.values(item as Node).flatMap((op) => (isNode(op) && Array.isArray(op.tags) ? op.tags : []))),
  );
  if (Array.isArray(doc.tags)) doc.tags = doc.tags.filter((tag) => isNode(tag) && used.has(tag.name));
}
