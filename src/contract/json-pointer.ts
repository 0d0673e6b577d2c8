/** Splits a JSON pointer ("#/a/b~1c", "/a/b" or "") into its unescaped segments. */
export function parsePointer(pointer: string): string[] {
  const body = pointer.replace(/^#/, "");
  if (body === "" || body === "/") return [];
  return body
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Escapes one segment for a JSON pointer. */
export function escapeSegment(segment: string | number): string {
  return String(segment).replace(/~/g, "~0").replace(/\//g, "~1");
}

/** Joins segments into a "#/…" JSON pointer. */
export function toPointer(segments: readonly (string | number)[]): string {
  return "#" + segments.map((s) => "/" + escapeSegment(s)).join("");
}

/** The value at a pointer ("" is the whole value); undefined where the path leaves the objects. */
export function valueAt(value: unknown, pointer: string): unknown {
  return parsePointer(pointer).reduce<unknown>((n, s) => (n !== null && typeof n === "object" ? (n as Record<string, unknown>)[s] : undefined), value);
}
