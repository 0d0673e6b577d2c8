import { isJsonObject } from "../text.ts";
import { field, type Exchange } from "./exchange.ts";
import type { CaseResult, ClientCompatibility } from "./report.ts";

/** zulip-flutter refuses servers below this feature level (Zulip 9.0) and warns below the next (Zulip 10.0). */
const FLUTTER_MIN_FEATURE_LEVEL = 277;
const FLUTTER_WARN_FEATURE_LEVEL = 371;

/** The server_settings fields zulip-flutter requires, non-null, with their JSON types. */
const FLUTTER_FIELDS: Record<string, "object" | "array" | "integer" | "string" | "boolean"> = {
  authentication_methods: "object",
  external_authentication_methods: "array",
  zulip_feature_level: "integer",
  zulip_version: "string",
  zulip_merge_base: "string",
  push_notifications_enabled: "boolean",
  is_incompatible: "boolean",
  email_auth_enabled: "boolean",
  require_email_format_usernames: "boolean",
  realm_uri: "string",
  realm_name: "string",
  realm_icon: "string",
  realm_description: "string",
  realm_web_public_access_enabled: "boolean",
};

/** What the run saw that the table is built from. */
export interface ClientEvidence {
  settings: Record<string, unknown> | undefined;
  /** The login with the given credentials; undefined when no case needed it. */
  login: Exchange | undefined;
  results: readonly CaseResult[];
}

const jsonType = (value: unknown) => (Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : value === null ? "null" : typeof value);
const absoluteOrigin = (value: unknown) => typeof value === "string" && /^https?:\/\/[^/]+$/.test(value);

/**
 * Which real Zulip clients can log in to this server, from what they are known to need (read from the sources
 * of zulip-flutter, the legacy zulip-mobile, zulip-terminal, python-zulip-api and zulip-js).
 */
export function clientCompatibility({ settings, login, results }: ClientEvidence): ClientCompatibility[] {
  const s = settings ?? {};
  const methods = isJsonObject(s.authentication_methods) ? s.authentication_methods : {};
  const featureLevel = typeof s.zulip_feature_level === "number" ? s.zulip_feature_level : undefined;
  const outcome = (id: string) => results.find((r) => r.id === id)?.outcome;

  // The login every client makes: 200 with string api_key and email.
  const loginProblems = (): string[] | undefined => {
    if (!login) return undefined;
    if (login.answer.status !== 200) return [`fetch_api_key answered ${login.answer.status}, not 200`];
    if (typeof field(login, "api_key") !== "string" || typeof field(login, "email") !== "string") return ["the login's answer lacks a string api_key or email"];
    return [];
  };
  const row = (client: string, needs: string, problems: string[], unknown: string[] = []): ClientCompatibility => {
    const login = loginProblems();
    const all = [...problems, ...(login ?? [])];
    const open = [...unknown, ...(login === undefined ? ["the login was not tried (no case that logs in was run)"] : [])];
    return { client, needs, verdict: all.length > 0 ? "no" : open.length > 0 ? "unknown" : "yes", problems: all.length > 0 ? all : open };
  };
  const realmUri = absoluteOrigin(s.realm_uri)
    ? []
    : [`realm_uri ${s.realm_uri === undefined ? "is missing" : `is not an absolute URL without a path (${JSON.stringify(s.realm_uri)})`}`];

  const flutter: string[] = [];
  if (featureLevel === undefined) flutter.push("no integer zulip_feature_level");
  else if (featureLevel < FLUTTER_MIN_FEATURE_LEVEL)
    flutter.push(`feature level ${featureLevel} is below ${FLUTTER_MIN_FEATURE_LEVEL} (Zulip 9.0), which it refuses`);
  for (const [name, type] of Object.entries(FLUTTER_FIELDS)) {
    if (s[name] === undefined || s[name] === null) flutter.push(`server_settings lacks ${name}`);
    else if (jsonType(s[name]) !== type) flutter.push(`${name} is ${jsonType(s[name])}, not ${type}`);
  }
  if (typeof methods.ldap !== "boolean") flutter.push("authentication_methods.ldap is not a boolean");
  flutter.push(...realmUri.filter(() => s.realm_uri !== undefined));
  if (s.email_auth_enabled !== true && methods.ldap !== true)
    flutter.push("neither email_auth_enabled nor authentication_methods.ldap is true, so it shows no password form");

  const legacy: string[] = [];
  const version = typeof s.zulip_version === "string" ? /^(\d+)\.(\d+)/.exec(s.zulip_version) : null;
  if (!version) legacy.push(`zulip_version ${JSON.stringify(s.zulip_version)} does not start with a version number`);
  else if (Number(version[1]) < 7) legacy.push(`zulip_version ${s.zulip_version} is below 7.0`);
  if (methods.password !== true) legacy.push("authentication_methods.password is not true, so it shows no password form");

  const pythonProblems: string[] = [];
  const pythonUnknown: string[] = [];
  const withAuthorization = outcome("server-settings.with-authorization");
  if (withAuthorization === "failed") pythonProblems.push("server_settings does not answer the same with an Authorization header");
  else if (withAuthorization !== "passed") pythonUnknown.push("server_settings with an Authorization header was not checked");
  const key = login ? field(login, "api_key") : undefined;
  if (typeof key === "string" && key.includes("%")) pythonProblems.push("the API key holds a %, which its zuliprc parser cannot read");

  const jsProblems: string[] = [];
  const jsUnknown: string[] = [];
  const multipart = outcome("fetch-api-key.multipart");
  if (multipart === "failed") jsProblems.push("a multipart/form-data login body is not read as Zulip reads it");
  else if (multipart !== "passed") jsUnknown.push("a multipart/form-data login body was not checked");

  const flutterRow = row("zulip-flutter (mobile app)", `feature level ≥ ${FLUTTER_MIN_FEATURE_LEVEL} and all 14 server_settings fields, non-null`, flutter);
  const warning = flutterWarning(featureLevel);
  if (flutterRow.verdict === "yes" && warning) flutterRow.problems = [warning];
  return [
    flutterRow,
    row("zulip-mobile (legacy app)", "zulip_version ≥ 7.0 starting with a number; authentication_methods.password", legacy),
    row("zulip-terminal", "an absolute realm_uri it can append /api/v1/… to; a urlencoded login", realmUri),
    row("python-zulip-api", "server_settings answered with its Authorization header; a key without %", pythonProblems, pythonUnknown),
    row("zulip-js", "a multipart/form-data login", jsProblems, jsUnknown),
  ];
}

/** A note for the report when zulip-flutter will warn about the server's version. */
function flutterWarning(featureLevel: number | undefined): string | undefined {
  return featureLevel !== undefined && featureLevel >= FLUTTER_MIN_FEATURE_LEVEL && featureLevel < FLUTTER_WARN_FEATURE_LEVEL
    ? `zulip-flutter logs in but warns that the server is old (feature level below ${FLUTTER_WARN_FEATURE_LEVEL}, Zulip 10.0)`
    : undefined;
}
