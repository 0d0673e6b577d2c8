import fc from "fast-check";
import { OPERATIONS } from "../../contract/operations.ts";
import type { ContractValidator } from "../../contract/validator.ts";
import { type PasswordShape, PLAIN, type RawShape, type Recipe, type Transport, type UsernameShape } from "./recipe.ts";

/** The phases of a fuzz run, in order. */
export type Phase = "examples" | "matrix" | "random" | "shrink";

/** One planned request: its phase, its place in it (the replay path) and its recipe. */
export interface Planned {
  phase: Phase;
  index: number;
  recipe: Recipe;
}

/**
 * The contract's request examples for fetch_api_key, one per declared media type, as throwaway logins: the
 * example's username is never sent (it may be the account's), only its shape.
 */
export function examples(validator: ContractValidator): Recipe[] {
  const operation = (validator.contract.raw.paths as Record<string, Record<string, { requestBody?: { content?: Record<string, { example?: unknown }> } }>>)[
    OPERATIONS.fetchApiKey.path
  ]?.[OPERATIONS.fetchApiKey.method.toLowerCase()];
  const content = operation?.requestBody?.content ?? {};
  const out: Recipe[] = [];
  for (const [mediaType, { example }] of Object.entries(content)) {
    if (example === undefined) continue;
    const transport: Transport | undefined =
      mediaType === "application/x-www-form-urlencoded" ? "form" : mediaType === "multipart/form-data" ? "multipart" : undefined;
    if (transport) out.push({ ...PLAIN, transport });
  }
  return out.length > 0 ? out : [PLAIN];
}

/**
 * The deterministic coverage matrix: each mutation of the plain login alone, derived from the contract (its
 * required fields, media types and method) and from Zulip's order of evaluation; then the precedence pairs.
 */
export function matrix(validator: ContractValidator, learned: { devLogin: boolean }): Recipe[] {
  const info = validator.operation(OPERATIONS.fetchApiKey.operationId);
  const one = (change: Partial<Recipe>): Recipe => ({ ...PLAIN, ...change });
  const transports: Transport[] = ["multipart", "query", "mixed", "json"];
  const usernames: UsernameShape[] = ["absent", "empty-local", "no-at", "leading-space", "two-ats"];
  const passwords: PasswordShape[] = ["absent", "empty", "long", "unicode", "nul"];
  const raws: RawShape[] = ["bad-percent", "bad-utf8", "no-boundary", "truncated-multipart", "oversize", "text-plain"];
  const methods = ["GET", "PUT", "PATCH", "DELETE"].filter((m) => m !== info.method.toUpperCase());
  return [
    ...transports.map((transport) => one({ transport })),
    one({ reversed: true }),
    one({ extras: 3, salt: 1 }),
    one({ repeated: true }),
    one({ queryShadow: true }),
    one({ transport: "multipart", repeated: true }),
    one({ transport: "query", queryShadow: true }),
    ...usernames.map((username) => one({ username })),
    one({ username: "absent", password: "absent" }),
    ...passwords.map((password) => one({ password })),
    ...raws.map((raw) => one({ raw })),
    ...methods.map((method) => one({ method })),
    ...(["trailing-slash", "double-slash", "upper-case", "percent-encoded"] as const).map((path) => one({ path })),
    // The development route: closed on production for every path and method variant.
    ...(learned.devLogin ? [] : [one({ operation: "dev" }), one({ operation: "dev", method: "GET" }), one({ operation: "dev", path: "trailing-slash" })]),
  ];
}

/** fast-check's arbitrary of recipes: mostly well-formed variants (what reaches authentication), some malformed. */
export function recipeArbitrary(learned: { devLogin: boolean }): fc.Arbitrary<Recipe> {
  return fc
    .record({
      operation: learned.devLogin
        ? fc.constant<"fetch">("fetch")
        : fc.constantFrom<"fetch" | "dev">("fetch", "fetch", "fetch", "fetch", "fetch", "fetch", "fetch", "dev"),
      method: fc.oneof({ weight: 12, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "PATCH", "DELETE") }),
      path: fc.oneof(
        { weight: 15, arbitrary: fc.constant<"exact">("exact") },
        { weight: 1, arbitrary: fc.constantFrom<Recipe["path"]>("trailing-slash", "double-slash", "upper-case", "percent-encoded") },
      ),
      transport: fc.constantFrom<Transport>("form", "multipart", "query", "mixed", "form", "multipart", "json"),
      username: fc.oneof(
        { weight: 6, arbitrary: fc.constant<UsernameShape>("throwaway") },
        { weight: 3, arbitrary: fc.constantFrom<UsernameShape>("absent", "empty-local", "no-at", "leading-space", "two-ats") },
      ),
      password: fc.oneof(
        { weight: 5, arbitrary: fc.constant<PasswordShape>("random") },
        { weight: 3, arbitrary: fc.constantFrom<PasswordShape>("absent", "empty", "long", "unicode", "nul") },
      ),
      extras: fc.nat({ max: 4 }),
      reversed: fc.boolean(),
      repeated: fc.boolean(),
      queryShadow: fc.boolean(),
      raw: fc.oneof(
        { weight: 20, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom<RawShape>("bad-percent", "bad-utf8", "no-boundary", "truncated-multipart", "text-plain") },
      ),
      salt: fc.nat({ max: 1_000_000 }),
    })
    .map((r) => {
      const { raw, ...rest } = r;
      return raw === undefined ? rest : { ...rest, raw };
    });
}

/** `count` random recipes from the seed: the same seed gives the same recipes. */
export function randomRecipes(seed: number, count: number, learned: { devLogin: boolean }): Recipe[] {
  return count <= 0 ? [] : fc.sample(recipeArbitrary(learned), { seed, numRuns: count });
}

/**
 * Simpler recipes than a failing one, one choice set back to the plain login's at a time: what the bounded
 * shrinking tries, most informative first.
 */
export function simplerRecipes(r: Recipe): Recipe[] {
  const out: Recipe[] = [];
  const keys: (keyof Recipe)[] = ["raw", "extras", "repeated", "queryShadow", "reversed", "password", "transport", "username", "method", "path"];
  for (const key of keys) {
    if (key === "raw" ? r.raw === undefined : r[key] === PLAIN[key]) continue;
    if (key === "raw") {
      const { raw: _raw, ...rest } = r;
      out.push(rest);
    } else if (key === "extras" && r.extras > 1) out.push({ ...r, extras: 1 }, { ...r, extras: 0 });
    else out.push({ ...r, [key]: PLAIN[key] });
  }
  return out;
}
