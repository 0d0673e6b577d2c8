/** Placeholders that stand for secrets in every report. */
export const PASSWORD_PLACEHOLDER = "<password>";
export const API_KEY_PLACEHOLDER = "<api-key>";

/**
 * Replaces every secret in every string of `value` with its placeholder. A secret shorter than 4 characters is
 * only replaced where it is a whole string: as a substring it would mangle ordinary words.
 */
export function redact<T>(value: T, secrets: readonly { value: string; placeholder: string }[]): T {
  const usable = secrets.filter((s) => s.value !== "").sort((a, b) => b.value.length - a.value.length);
  const clean = (text: string): string => {
    for (const s of usable) {
      if (text === s.value) return s.placeholder;
      if (s.value.length >= 4) text = text.split(s.value).join(s.placeholder);
    }
    return text;
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === "string") return clean(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node !== null && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([k, v]) => [clean(k), walk(v)]));
    return node;
  };
  return walk(value) as T;
}
