const TRUNCATE = 200;

/** Cuts long text for a report or a violation. */
export function truncate(text: string): string {
  return text.length > TRUNCATE ? `${text.slice(0, TRUNCATE)}…` : text;
}

/** The JSON value of a text, or undefined when it is not JSON. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** Whether a parsed JSON value is an object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
