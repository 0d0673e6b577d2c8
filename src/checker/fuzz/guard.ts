import { randomBytes } from "node:crypto";
import type { RequestSpec } from "../request.ts";
import { throwawayEmail } from "../throwaway.ts";

/** Requests one throwaway username may carry at most: Zulip locks a username after 5 counted attempts. */
export const ATTEMPTS_PER_THROWAWAY = 3;

/** A fuzz username: a throwaway address at the account's domain whose local part holds a marker from `crypto`. */
export interface Throwaway {
  email: string;
  /** Random hex from `crypto`, never from the generator's seed and never shrunk: what the guard looks for. */
  marker: string;
}

/** Why the guard refused a request; the fuzzer stops, as this is a bug of the fuzzer, never of the server. */
export class GuardRefusal extends Error {
  override name = "GuardRefusal";
}

/**
 * The transport's safety rules for fuzzing a real account: every username sent carries a marker this run
 * issued, each marker travels at most ATTEMPTS_PER_THROWAWAY times and never again once it logged in, and no
 * request holds the real username or password, however it is cased, spaced or encoded.
 */
export class SafetyGuard {
  private readonly markers = new Map<string, number>();
  private readonly burnt = new Set<string>();
  private readonly forbidden: string[];

  constructor(
    private readonly username: string,
    password: string,
  ) {
    this.forbidden = [normalize(username), normalize(password)].filter((f) => f.length > 0);
  }

  /** A fresh throwaway username at the account's domain. */
  issue(): Throwaway {
    const marker = randomBytes(8).toString("hex");
    const email = throwawayEmail(this.username).replace(/^zulip-auth-check-[0-9a-f]+@/, `zulip-auth-fuzz-${marker}@`);
    this.markers.set(marker, 0);
    return { email, marker };
  }

  /** Never sends this marker again (a throwaway that logged in is a finding, not something to repeat). */
  burn(marker: string): void {
    this.burnt.add(marker);
  }

  /** Throws GuardRefusal unless the request is safe to send; counts the markers it carries. */
  admit(spec: RequestSpec): void {
    const text = wireText(spec);
    const seen = [...this.markers.keys()].filter((m) => text.includes(m));
    const decoded = decodings(text).map(normalize);
    if (decoded.some((d) => this.forbidden.some((f) => d.includes(f)))) throw new GuardRefusal("a fuzz request held the account's username or password");
    for (const value of usernameValues(spec)) {
      if (!seen.some((m) => value.includes(m))) throw new GuardRefusal("a fuzz request's username carried no marker of this run");
    }
    for (const m of seen) {
      if (this.burnt.has(m)) throw new GuardRefusal("a throwaway that logged in would be sent again");
      if (this.markers.get(m)! >= ATTEMPTS_PER_THROWAWAY)
        throw new GuardRefusal(`a throwaway username would be sent more than ${ATTEMPTS_PER_THROWAWAY} times`);
    }
    for (const m of seen) this.markers.set(m, this.markers.get(m)! + 1);
  }
}

/** Everything of a request a server reads: path, query, headers and body, as sent. */
function wireText(spec: RequestSpec): string {
  const value = (v: string | { value: string }) => (typeof v === "string" ? v : v.value);
  return [
    spec.path,
    ...(spec.query ?? []).flatMap(([k, v]) => [k, value(v)]),
    ...Object.entries(spec.headers ?? {}).flat(),
    ...(spec.body?.fields ?? []).flatMap(([k, v]) => [k, value(v)]),
    spec.raw?.text ?? "",
  ].join("\n");
}

/** Every `username` value a request names, in the query, the fields or a raw form body. */
function usernameValues(spec: RequestSpec): string[] {
  const value = (v: string | { value: string }) => (typeof v === "string" ? v : v.value);
  const found = [...(spec.query ?? []), ...(spec.body?.fields ?? [])].filter(([k]) => k === "username").map(([, v]) => value(v));
  if (spec.raw) {
    for (const d of decodings(spec.raw.text)) for (const m of d.matchAll(/username\W{1,6}([^&\r\n"]*)/g)) if (m[1]) found.push(m[1]);
  }
  return found;
}

/** The text and what a server could decode it to: percent-decoding (repeatedly, `+` as space), JSON and HTML escapes. */
function decodings(text: string): string[] {
  const out = [text];
  let current = text;
  for (let i = 0; i < 3; i++) {
    const next = percentDecode(current.replace(/\+/g, " "));
    if (next === current) break;
    out.push(next);
    current = next;
  }
  const escaped = out.map((t) =>
    t
      .replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)))
      .replace(/&#x([0-9a-fA-F]+);?/g, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16)))
      .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Number(d)))
      .replace(/&commat;/g, "@"),
  );
  return [...out, ...escaped];
}

/** Percent-decodes what decodes, byte sequences as UTF-8, leaving bad sequences as they are. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
    }
  });
}

/** Compatibility-folded, lower-cased, without spacing, control or invisible characters. */
function normalize(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s\p{Cc}\p{Cf}]/gu, "");
}
