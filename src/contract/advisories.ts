import type { OpenAPIV3_1 } from "openapi-types";
import { isJsonObject } from "../shared/text.ts";
import type { Answer } from "./answer.ts";
import { parsePointer } from "./json-pointer.ts";
import type { ContractLevel } from "./levels.ts";
import type { Violation } from "./violation.ts";

const ADVISORY_MARK = "x-advisory";

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

/**
 * The advisory a field the contract does not list is at the Zulip level, in a success answer: Zulip's API grows
 * by adding fields (a newer Zulip, or a fork's own), and clients ignore those they do not know.
 */
export const UNLISTED_FIELD = {
  id: "unlisted-field",
  severity: "low",
  advice: "a success answer has a field the contract does not list (a newer Zulip, or a fork's own)",
} as const satisfies Omit<Advisory, "violation">;

/** Whether a violation found at this level is the advisory `unlisted-field` instead. */
export function isUnlistedField(violation: Violation, level: ContractLevel): boolean {
  return level === "zulip" && violation.id === "body-unexpected-property" && violation.status === 200;
}

/**
 * The advisories of an answer: its strict-level violations that the Zulip level accepts, each where the contract
 * (as written, `raw`) annotates the broken promise with an `x-advisory`. Such an answer is not a violation at
 * the Zulip level: an advisory never changes the exit code.
 */
export function advisoriesOf(raw: OpenAPIV3_1.Document, answer: Answer, judge: (level: ContractLevel) => Violation[]): Advisory[] {
  const key = (v: Violation) => `${v.id} ${v.responsePointer}`;
  const zulip = new Set(judge("zulip").map(key));
  const advisories: Advisory[] = [];
  for (const violation of judge("strict")) {
    if (zulip.has(key(violation))) continue;
    const annotation = advisoryFor(raw, violation, answer);
    if (annotation) advisories.push({ ...annotation, violation });
  }
  return advisories;
}

/** The `x-advisory` of the node a strict violation points at (or its nearest ancestor); for a media type, the answer's. */
function advisoryFor(raw: OpenAPIV3_1.Document, violation: Violation, answer: Answer): Omit<Advisory, "violation"> | undefined {
  const segments = parsePointer(violation.specPointer);
  const at = (path: string[]) => path.reduce<unknown>((n, s) => (isJsonObject(n) ? n[s] : undefined), raw);
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

function readAdvisory(value: unknown): Omit<Advisory, "violation"> | undefined {
  if (!isJsonObject(value) || typeof value.id !== "string" || typeof value.advice !== "string") return undefined;
  const severity = value.severity === "high" || value.severity === "medium" ? value.severity : "low";
  return { id: value.id, severity, advice: value.advice };
}
