import { isDeepStrictEqual } from "node:util";
import { OPERATIONS } from "../contract/operations.ts";
import { isJsonObject } from "../shared/text.ts";
import { type Exchange, field } from "./exchange.ts";
import type { ClientCompatibility } from "./report.ts";

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
  /** Every answer of the run. */
  transcript: readonly Exchange[];
}

const jsonType = (value: unknown) => (Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : value === null ? "null" : typeof value);
const absoluteOrigin = (value: unknown) => typeof value === "string" && /^https?:\/\/[^/]+$/.test(value);

/** One line naming a request and its answer: "POST /api/v1/fetch_api_key (multipart) → 401". */
const seen = (e: Exchange) => `${e.spec.method} ${e.path}${e.spec.label ? ` (${e.spec.label})` : ""} → ${e.answer.status}`;

/**
 * Which real Zulip clients can log in to this server, from what they are known to need (read from the sources
 * of zulip-flutter, the legacy zulip-mobile, zulip-terminal, python-zulip-api and zulip-js). Each verdict rests
 * only on requests the run made and their answers, which it names; a contract finding on an answer is not a
 * client's problem unless the client reads what it is about.
 */
export function clientCompatibility({ settings, login, transcript }: ClientEvidence): ClientCompatibility[] {
  const s = settings ?? {};
  const methods = isJsonObject(s.authentication_methods) ? s.authentication_methods : {};
  const featureLevel = typeof s.zulip_feature_level === "number" ? s.zulip_feature_level : undefined;
  const plainSettings = transcript.find((e) => e.spec.operationId === OPERATIONS.getServerSettings.operationId && e.spec.method === "GET" && !e.spec.headers);
  const settingsSeen = plainSettings ? [seen(plainSettings)] : [];

  // The login every client makes: 200 with string api_key and email.
  const loginProblems = (): string[] | undefined => {
    if (!login) return undefined;
    if (login.answer.status !== 200) return [`fetch_api_key answered ${login.answer.status}, not 200`];
    if (typeof field(login, "api_key") !== "string" || typeof field(login, "email") !== "string") return ["the login's answer lacks a string api_key or email"];
    return [];
  };
  const row = (client: string, needs: string, problems: string[], evidence: Exchange[], unknown: string[] = []): ClientCompatibility => {
    const loginSaid = loginProblems();
    const all = [...problems, ...(loginSaid ?? [])];
    const open = [...unknown, ...(loginSaid === undefined ? ["the login was not tried (no case that logs in was run)"] : [])];
    return {
      client,
      needs,
      verdict: all.length > 0 ? "no" : open.length > 0 ? "unknown" : "yes",
      problems: all.length > 0 ? all : open,
      evidence: [...settingsSeen, ...evidence.map(seen), ...(login ? [seen(login)] : [])],
    };
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

  // python-zulip-api sends its Authorization header to server_settings: the same settings must come back.
  const pythonProblems: string[] = [];
  const pythonUnknown: string[] = [];
  const withAuthorization = transcript.find((e) => e.spec.operationId === OPERATIONS.getServerSettings.operationId && e.spec.headers?.Authorization);
  if (!withAuthorization || !plainSettings) pythonUnknown.push("server_settings with an Authorization header was not asked for");
  else if (withAuthorization.answer.status !== 200)
    pythonProblems.push(`server_settings with an Authorization header answered ${withAuthorization.answer.status}, not 200`);
  else if (!isDeepStrictEqual(withAuthorization.json, plainSettings.json))
    pythonProblems.push("server_settings answers other settings with an Authorization header");
  const key = login ? field(login, "api_key") : undefined;
  if (typeof key === "string" && key.includes("%")) pythonProblems.push("the API key holds a %, which its zuliprc parser cannot read");

  // zulip-js sends a multipart body: a throwaway's login read from it is refused 401, not "missing username".
  const jsProblems: string[] = [];
  const jsUnknown: string[] = [];
  const multipart = transcript.find((e) => e.spec.operationId === OPERATIONS.fetchApiKey.operationId && e.spec.body?.kind === "multipart");
  if (!multipart) jsUnknown.push("a multipart/form-data login body was not sent");
  else if (multipart.answer.status === 400 && field(multipart, "code") === "REQUEST_VARIABLE_MISSING")
    jsProblems.push("a multipart/form-data login body is not read: the server says a parameter is missing");
  else if (multipart.answer.status !== 401)
    jsUnknown.push(`a multipart/form-data login was answered ${multipart.answer.status}, which does not show whether it was read`);

  const flutterRow = row("zulip-flutter (mobile app)", `feature level ≥ ${FLUTTER_MIN_FEATURE_LEVEL} and all 14 server_settings fields, non-null`, flutter, []);
  const warning = flutterWarning(featureLevel);
  if (flutterRow.verdict === "yes" && warning) flutterRow.problems = [warning];
  return [
    flutterRow,
    row("zulip-mobile (legacy app)", "zulip_version ≥ 7.0 starting with a number; authentication_methods.password", legacy, []),
    row("zulip-terminal", "an absolute realm_uri it can append /api/v1/… to; a urlencoded login", realmUri, []),
    row(
      "python-zulip-api",
      "server_settings answered with its Authorization header; a key without %",
      pythonProblems,
      withAuthorization ? [withAuthorization] : [],
      pythonUnknown,
    ),
    row("zulip-js", "a multipart/form-data login", jsProblems, multipart ? [multipart] : [], jsUnknown),
  ];
}

/** A note for the report when zulip-flutter will warn about the server's version. */
function flutterWarning(featureLevel: number | undefined): string | undefined {
  return featureLevel !== undefined && featureLevel >= FLUTTER_MIN_FEATURE_LEVEL && featureLevel < FLUTTER_WARN_FEATURE_LEVEL
    ? `zulip-flutter logs in but warns that the server is old (feature level below ${FLUTTER_WARN_FEATURE_LEVEL}, Zulip 10.0)`
    : undefined;
}
