import type { OpenAPIV3_1 } from "openapi-types";
import { isJsonObject, type JsonObject } from "../shared/text.ts";

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

const STRICT_MARK = "x-zulip-auth-strict";
const ZULIP_ONLY_MARK = "x-zulip-only";
const FEATURE_LEVEL_MARK = "x-zulip-feature-level";

/** The dereferenced contract as each level and feature level sees it, each view made once. */
export class ContractViews {
  private readonly views = new Map<string, OpenAPIV3_1.Document>();

  constructor(private readonly dereferenced: OpenAPIV3_1.Document) {}

  /** The view for these options (default: the strict level at the latest feature level). */
  of(options: JudgeOptions = {}): OpenAPIV3_1.Document {
    const level = options.level ?? "strict";
    const featureLevel = options.featureLevel ?? Number.POSITIVE_INFINITY;
    const key = `${level} ${featureLevel}`;
    let found = this.views.get(key);
    if (!found) {
      found = contractView(this.dereferenced, level, featureLevel) as OpenAPIV3_1.Document;
      this.views.set(key, found);
    }
    return found;
  }
}

/**
 * One level's view of the dereferenced contract: the nodes the level does not hold dropped, properties newer
 * than the feature level no longer required, and every `x-` key removed (Ajv's strict mode refuses them).
 * At the Zulip level a strict header or schema is dropped; a strict media type, response or operation stays
 * declared, as a stricter answer is still a Zulip answer. At the strict level every Zulip-only node is dropped.
 */
function contractView(doc: object, level: ContractLevel, featureLevel: number): object {
  const copy = structuredClone(doc) as JsonObject;
  // Requirements by feature level first: the marks are read before the pruning strips them.
  requireByFeatureLevel(copy, featureLevel, new Set());
  pruneForLevel(copy, level, new Set());
  return copy;
}

function requireByFeatureLevel(node: unknown, featureLevel: number, seen: Set<object>): void {
  if (typeof node !== "object" || node === null || seen.has(node)) return;
  seen.add(node);
  if (isJsonObject(node) && isJsonObject(node.properties) && Array.isArray(node.required)) {
    const properties = node.properties;
    node.required = node.required.filter((name) => {
      const since = (properties[name as string] as JsonObject | undefined)?.[FEATURE_LEVEL_MARK];
      return !(typeof since === "number" && since > featureLevel);
    });
  }
  for (const child of Object.values(node)) requireByFeatureLevel(child, featureLevel, seen);
}

/** Whether a level leaves out a node found as a response header, an `allOf` member or any other child. */
function leftOut(level: ContractLevel, child: unknown, container: "headers" | "allOf" | "other"): boolean {
  if (!isJsonObject(child)) return false;
  return level === "strict" ? child[ZULIP_ONLY_MARK] === true : child[STRICT_MARK] === true && container !== "other";
}

function pruneForLevel(node: unknown, level: ContractLevel, pruned: Set<object>): void {
  if (typeof node !== "object" || node === null || pruned.has(node)) return;
  pruned.add(node);
  if (Array.isArray(node)) {
    for (const child of node) pruneForLevel(child, level, pruned);
    return;
  }
  const object = node as JsonObject;
  for (const [key, child] of Object.entries(object)) {
    if (key.startsWith("x-")) delete object[key];
    else if (key === "headers" && isJsonObject(child)) {
      for (const [name, header] of Object.entries(child)) if (leftOut(level, header, "headers")) delete child[name];
      pruneForLevel(child, level, pruned);
    } else if (key === "allOf" && Array.isArray(child)) {
      object[key] = child.filter((member) => !leftOut(level, member, "allOf"));
      pruneForLevel(object[key], level, pruned);
    } else if (leftOut(level, child, "other")) delete object[key];
    else pruneForLevel(child, level, pruned);
  }
}
