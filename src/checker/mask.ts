import { API_KEY_PLACEHOLDER, PASSWORD_PLACEHOLDER } from "../shared/redact.ts";

/** The forms a server may echo a value in: as sent, percent-encoded, form-encoded, inside JSON text. */
export function encodings(value: string): string[] {
  return [...new Set([value, encodeURIComponent(value), new URLSearchParams({ s: value }).toString().slice(2), JSON.stringify(value).slice(1, -1)])].filter(
    (v) => v !== "",
  );
}

/**
 * Hides the run's secrets in what the server sent, without garbling anything else. API keys (32 random
 * characters) are replaced wherever they appear. The password is replaced wherever it appears unless the
 * server uses it as a word of its own (in its answers to requests that did not carry it): then a password
 * such as `password`, `success` or `incorrect` leaves "Your username or password is incorrect" intact, and only
 * a text that is the password and nothing else is replaced. Our own ids and titles never pass through it.
 */
export class Masker {
  readonly apiKeys = new Set<string>();
  private readonly forms: string[];
  private readonly baseline: string[] = [];
  /** The near-misses of the password a run sends, each with its placeholder: longest first. */
  private readonly others: { value: string; forms: string[]; placeholder: string }[] = [];

  constructor(readonly password: string) {
    this.forms = encodings(password).sort((a, b) => b.length - a.length);
  }

  /** Another secret derived from the password (a near-miss), hidden as `placeholder` as the password is. */
  addSecret(value: string, placeholder: string): void {
    this.others.push({ value, forms: encodings(value).sort((a, b) => b.length - a.length), placeholder });
    this.others.sort((a, b) => b.forms[0]!.length - a.forms[0]!.length);
  }

  /** Records the text of an answer to a request that did not carry the password: the server's own words. */
  addBaseline(text: string): void {
    this.baseline.push(text);
  }

  /** Whether the server uses the password as a word of its own (then its occurrences cannot be told from an echo). */
  isServerWord(): boolean {
    return this.baseline.some((text) => this.forms.some((f) => text.includes(f)));
  }

  /** Text from the server with the secrets replaced by their placeholders. */
  server(text: string): string {
    let out = this.keys(text);
    if (out === this.password) return PASSWORD_PLACEHOLDER;
    const other = this.others.find((o) => o.value === out);
    if (other) return other.placeholder;
    if (this.isServerWord()) return out;
    // Longest first: a near-miss holds the password, or the password holds it.
    const all = [{ forms: this.forms, placeholder: PASSWORD_PLACEHOLDER }, ...this.others].sort((a, b) => b.forms[0]!.length - a.forms[0]!.length);
    for (const { forms, placeholder } of all) for (const f of forms) out = out.split(f).join(placeholder);
    return out;
  }

  /** Text with the API keys seen so far replaced (safe on any text: a key is 32 random characters). */
  keys(text: string): string {
    let out = text;
    for (const key of this.apiKeys) if (key.length >= 8) out = out.split(key).join(API_KEY_PLACEHOLDER);
    return out;
  }
}
