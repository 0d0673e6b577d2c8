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
