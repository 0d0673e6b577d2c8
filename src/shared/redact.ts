/** Placeholders that stand for secrets in every report. */
export const PASSWORD_PLACEHOLDER = "<password>";
export const API_KEY_PLACEHOLDER = "<api-key>";

/**
 * Replaces every secret in every string of `value` with its placeholder. A secret shorter than 4 characters is
 * only replaced where it is a whole string: as a substring it would mangle ordinary words.
 */
export function redact<T>(value: T, secrets: readonly { value: string; placeholder: string }[]): T {
  // A server may echo a secret as it arrived (percent- or form-encoded) or inside JSON text: hide every form.
  const forms = secrets.flatMap((s) =>
    [...new Set([s.value, encodeURIComponent(s.value), new URLSearchParams({ s: s.value }).toString().slice(2), JSON.stringify(s.value).slice(1, -1)])].map(
      (value) => ({ value, placeholder: s.placeholder }),
    ),
  );
  const usable = forms.filter((s) => s.value !== "").sort((a, b) => b.value.length - a.value.length);
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
