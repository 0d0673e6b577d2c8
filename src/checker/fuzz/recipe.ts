import { OPERATIONS } from "../../contract/operations.ts";
import { type RequestSpec, requestFor } from "../request.ts";
import type { Throwaway } from "./guard.ts";

/** How a username is malformed (or not); each carries the throwaway's marker, except "absent". */
export type UsernameShape = "throwaway" | "absent" | "empty-local" | "no-at" | "leading-space" | "two-ats";
/** The password sent: a random one, or its edge shapes. */
export type PasswordShape = "random" | "absent" | "empty" | "long" | "unicode" | "nul";
/** How the parameters travel. */
export type Transport = "form" | "multipart" | "query" | "mixed" | "json";
/** A body that is malformed as bytes, not as values. */
export type RawShape = "bad-percent" | "bad-utf8" | "no-boundary" | "truncated-multipart" | "oversize" | "text-plain";
/** A variant of the operation's path. */
export type PathShape = "exact" | "trailing-slash" | "double-slash" | "upper-case" | "percent-encoded";

/**
 * One request of the fuzzer as data: the choices it is built from (so it can be shrunk towards the plain
 * login and printed), each choice a mutation of the plain throwaway login the contract's example shows.
 */
export interface Recipe {
  operation: "fetch" | "dev";
  method: string;
  path: PathShape;
  transport: Transport;
  username: UsernameShape;
  password: PasswordShape;
  /** Unknown parameters added (Zulip ignores them). */
  extras: number;
  /** Password before username. */
  reversed: boolean;
  /** The username sent twice, a malformed one first: the last value wins. */
  repeated: boolean;
  /** A malformed username in the query string too: the body's wins. */
  queryShadow: boolean;
  raw?: RawShape;
  /** Seed of the values inside (extras' names and values), from the generator. */
  salt: number;
}

/** The plain login with a throwaway, as the contract's example shows it: what every mutation changes one thing of. */
export const PLAIN: Recipe = {
  operation: "fetch",
  method: "POST",
  path: "exact",
  transport: "form",
  username: "throwaway",
  password: "random",
  extras: 0,
  reversed: false,
  repeated: false,
  queryShadow: false,
  salt: 0,
};

/** What the server should do with a recipe, from Zulip's order of evaluation (zerver/views/auth.py). */
export type Outcome =
  | { kind: "method-not-allowed"; allow: string }
  | { kind: "missing"; variable: "username" | "password" }
  | { kind: "invalid-email" }
  | { kind: "dev-closed" }
  | { kind: "refusal" }
  | { kind: "path-variant" }
  | { kind: "any" };

/** What the run learned before fuzzing: which rules apply. */
export interface Learned {
  /** Usernames must be email addresses (LDAP login is off). */
  emailRule: boolean;
  /** The development login is advertised (server_settings' authentication_methods.dev). */
  devLogin: boolean;
}

const valid = (u: UsernameShape) => u === "throwaway";

/** The expected outcome of a recipe, step by step as Zulip evaluates a login. */
export function expectedOutcome(r: Recipe, learned: Learned): Outcome {
  // The development route is judged only for staying closed: never a 200 for any path or method.
  if (r.path !== "exact" || (r.operation === "dev" && r.method !== "POST")) return { kind: "path-variant" };
  if (r.method !== "POST") return { kind: "method-not-allowed", allow: "POST" };
  if (r.raw) return { kind: "any" };
  // A JSON body is not read at all.
  const json = r.transport === "json";
  const username = json ? "absent" : r.username;
  const password = json ? "absent" : r.password;
  // typed_endpoint reads the parameters before the view runs: a missing username comes before the closed route.
  if (username === "absent") return { kind: "missing", variable: "username" };
  if (r.operation === "dev" && !learned.devLogin) return { kind: "dev-closed" };
  if (r.operation === "fetch" && password === "absent") return { kind: "missing", variable: "password" };
  if (!valid(username)) return learned.emailRule ? { kind: "invalid-email" } : { kind: "any" };
  if (r.operation === "dev") return { kind: "any" };
  return { kind: "refusal" };
}

/** The mutation class of a recipe: its first choice that differs from the plain login ("plain" when none). */
export function mutationClass(r: Recipe): string {
  if (r.operation === "dev") return r.method !== "POST" ? `dev:method:${r.method}` : r.path !== "exact" ? `dev:path:${r.path}` : "dev:route";
  if (r.path !== "exact") return `path:${r.path}`;
  if (r.method !== "POST") return `method:${r.method}`;
  if (r.raw) return `raw:${r.raw}`;
  if (r.transport !== "form") return `transport:${r.transport}`;
  if (r.username !== "throwaway") return `username:${r.username}`;
  if (r.password !== "random") return `password:${r.password}`;
  if (r.repeated) return "precedence:last-wins";
  if (r.queryShadow) return "precedence:body-over-query";
  if (r.reversed) return "order:reversed";
  if (r.extras > 0) return "extras:unknown";
  return "plain";
}

/** Every mutation class the fuzzer knows, for the coverage table (the plain login first). */
export const MUTATION_CLASSES: readonly string[] = [
  "plain",
  "transport:multipart",
  "transport:query",
  "transport:mixed",
  "transport:json",
  "order:reversed",
  "extras:unknown",
  "precedence:last-wins",
  "precedence:body-over-query",
  "username:absent",
  "username:empty-local",
  "username:no-at",
  "username:leading-space",
  "username:two-ats",
  "password:absent",
  "password:empty",
  "password:long",
  "password:unicode",
  "password:nul",
  "raw:bad-percent",
  "raw:bad-utf8",
  "raw:no-boundary",
  "raw:truncated-multipart",
  "raw:oversize",
  "raw:text-plain",
  "method:GET",
  "method:PUT",
  "method:PATCH",
  "method:DELETE",
  "path:trailing-slash",
  "path:double-slash",
  "path:upper-case",
  "path:percent-encoded",
  "dev:route",
  "dev:method:GET",
  "dev:path:trailing-slash",
];

/** Whether a recipe sends parameters another way than the plain login (what parameter-equivalence judges). */
export const isEquivalenceVariant = (r: Recipe) => r.transport !== "form" || r.reversed || r.extras > 0 || r.repeated || r.queryShadow;

/** A username of the given shape around the throwaway (its marker always kept). */
function usernameOf(shape: UsernameShape, t: Throwaway): string {
  const [local, domain] = t.email.split("@") as [string, string];
  switch (shape) {
    case "empty-local":
      return `@${domain}#${t.marker}`;
    case "no-at":
      return `${local}.${domain}`;
    case "leading-space":
      return ` ${t.email}`;
    case "two-ats":
      return `${local}@@${domain}`;
    default:
      return t.email;
  }
}

/** The password of the given shape (random words that no account has). */
function passwordOf(shape: PasswordShape, salt: number): string {
  const base = `zulip-auth-fuzz-${(salt >>> 0).toString(36)}-not-a-password`;
  switch (shape) {
    case "empty":
      return "";
    case "long":
      return base.repeat(40);
    case "unicode":
      return `${base}-ǅ𝔘ñ\u200d🙂`;
    case "nul":
      return `${base}\u0000x`;
    default:
      return base;
  }
}

/** Unknown parameters, named so that no Zulip reads them. */
function extraFields(n: number, salt: number): [string, string][] {
  return Array.from({ length: n }, (_, i) => [`zulip_auth_fuzz_${(salt + i) % 97}`, `v${(salt * 31 + i) % 1000}`]);
}

/** The RequestSpec a recipe describes, for one throwaway (`shadow`: a second throwaway for the malformed copy). */
export function buildRequest(r: Recipe, t: Throwaway, label: string): RequestSpec {
  const op = r.operation === "fetch" ? OPERATIONS.fetchApiKey : OPERATIONS.devFetchApiKey;
  const base = op.path;
  const path =
    r.path === "trailing-slash"
      ? `${base}/`
      : r.path === "double-slash"
        ? `/${base}`
        : r.path === "upper-case"
          ? base.toUpperCase()
          : r.path === "percent-encoded"
            ? base.replace(/_/g, "%5F")
            : base;
  const spec = requestFor(op, { method: r.method, path, label });
  const username = usernameOf(r.username, t);
  const password = passwordOf(r.password, r.salt);
  // A body cannot travel with GET in fetch.
  if (r.raw && r.method !== "GET") return { ...spec, raw: rawBody(r.raw, t, password) };
  const present = r.username !== "absent";
  const core: [string, string][] = [
    ...(present ? [["username", username] as [string, string]] : []),
    ...(r.operation === "fetch" && r.password !== "absent" ? [["password", password] as [string, string]] : []),
  ];
  if (r.reversed) core.reverse();
  // The malformed copy goes just before the well-formed username: the last value wins.
  const fields = core.flatMap((f): [string, string][] => (f[0] === "username" && r.repeated ? [["username", usernameOf("no-at", t)], f] : [f]));
  fields.push(...extraFields(r.extras, r.salt));
  // A JSON body is not read: a username in the query string would be the only one.
  const shadow: [string, string][] = r.queryShadow && present && r.transport !== "json" ? [["username", usernameOf("no-at", t)]] : [];
  // GET and the others carry no body in fetch: their parameters go in the query string.
  const transport = r.method === "GET" ? "query" : r.transport;
  switch (transport) {
    case "query":
      return { ...spec, query: [...shadow, ...fields] };
    case "mixed": {
      const [first, ...rest] = fields;
      return { ...spec, query: [...shadow, ...(first ? [first] : [])], body: { kind: "form", fields: rest } };
    }
    default:
      return { ...spec, ...(shadow.length > 0 ? { query: shadow } : {}), body: { kind: transport, fields } };
  }
}

/** A body malformed as bytes, around a throwaway login. */
function rawBody(shape: RawShape, t: Throwaway, password: string): { contentType: string; text: string } {
  const form = `username=${encodeURIComponent(t.email)}&password=${encodeURIComponent(password)}`;
  switch (shape) {
    case "bad-percent":
      return { contentType: "application/x-www-form-urlencoded", text: `${form}&zulip_auth_fuzz=%zz%&%E0%A4%A` };
    case "bad-utf8":
      return { contentType: "application/x-www-form-urlencoded", text: `${form}&zulip_auth_fuzz=%FF%FE%C3%28` };
    case "no-boundary":
      return { contentType: "multipart/form-data", text: `--x\r\nContent-Disposition: form-data; name="username"\r\n\r\n${t.email}\r\n--x--\r\n` };
    case "truncated-multipart":
      return {
        contentType: "multipart/form-data; boundary=zulipauthfuzz",
        text: `--zulipauthfuzz\r\nContent-Disposition: form-data; name="username"\r\n\r\n${t.email}\r\n--zulipauthfuzz\r\nContent-Disp`,
      };
    case "oversize":
      return { contentType: "application/x-www-form-urlencoded", text: `${form}&zulip_auth_fuzz=${"a".repeat(300 * 1024)}` };
    case "text-plain":
      return { contentType: "text/plain", text: form };
  }
}
