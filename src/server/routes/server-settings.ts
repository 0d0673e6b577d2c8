import type { Context } from "hono";
import { loginMethods } from "../../auth/login-methods.ts";
import { OPERATIONS } from "../../contract/operations.ts";
import type { Schema } from "../../contract/types.ts";
import type { Organization } from "../../store/schema.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import type { EdgeRow } from "../edge.ts";
import { ZulipError } from "../errors.ts";
import { requestSubdomain } from "../organization.ts";
import { publicOrigins } from "../public-origin.ts";
import { requestHeader } from "../request-header.ts";
import { jsonBytes } from "../respond.ts";
import { userAgentName } from "../user-agent.ts";
import { DEFAULT_REALM_ICON_PATH } from "./realm-icon.ts";

/**
 * The Zulip release whose fetch_api_key behaviour this server reproduces. zulip-flutter refuses servers below
 * feature level 277 and warns below 371; the legacy app needs a version that starts with a number.
 */
const ZULIP_VERSION = "10.0";
const ZULIP_FEATURE_LEVEL = 371;

/**
 * The answer's text around each place the realm URL stands (realm_url, realm_uri, a realm_icon under it), and
 * the answers made from it, by origin: an origin is one of few (publicOrigins bounds them), and a Buffer made
 * once is written as it is, where a string would be joined, measured and encoded per request.
 */
interface Template {
  parts: string[];
  bodies: Map<string, Buffer<ArrayBuffer>>;
}

/** Answers kept per template; any Host names an origin, so they are bounded. */
const MAX_BODIES = 64;

/** Stands for the realm URL while a template is serialised; JSON-escaped, so no real URL can look like it. */
const URL_SLOT = "\u0000realm_url\u0000";
const URL_SLOT_ESCAPED = JSON.stringify(URL_SLOT).slice(1, -1);

/**
 * GET /api/v1/server_settings: what a client needs before it shows a login form. The answer depends only on
 * the organization, the server's settings, whether the client is ZulipInvalid and the URL: it is serialised
 * once per cached organization object (a change to the organization makes a new one) and only the URL is
 * filled in per request.
 */
export function serverSettings(deps: AppDeps) {
  const answer = serverSettingsAnswer(deps);
  return async (c: Context<AppEnv>) => {
    const subdomain = requestSubdomain(c, deps.config.rootDomain);
    return jsonBytes(200, await answer(subdomain, c.req.url, requestHeader(c, "user-agent")));
  };
}

/** server_settings as a row of the edge's table: its plain answers are given on node:http, as the route gives them. */
export function serverSettingsRow(deps: AppDeps): EdgeRow {
  return { path: OPERATIONS.getServerSettings.url, answer: serverSettingsAnswer(deps) };
}

/**
 * The server_settings answer's body for a request to `subdomain` at `url` (the request's URL, or its
 * `scheme://host`) from `userAgent`; a ZulipError for an unknown subdomain. The one definition of the answer:
 * the Hono route and the edge's row both serve it.
 */
export function serverSettingsAnswer(deps: AppDeps): (subdomain: string, url: string, userAgent: string | undefined) => Promise<Buffer<ArrayBuffer>> {
  const publicOrigin = publicOrigins(deps.config);
  // Keyed by the store's cached organization objects; a root domain without an organization has its own.
  const templates = new WeakMap<Organization, [Template?, Template?]>();
  const withoutOrg: [Template?, Template?] = [];
  return async (subdomain, url, userAgent) => {
    const org = await deps.store.findOrganization(subdomain);
    // Unlike fetch_api_key (404), Zulip answers an unknown subdomain here with a 400.
    if (!org && subdomain !== "") throw new ZulipError(400, { result: "error", msg: "Invalid subdomain", code: "BAD_REQUEST" });

    const incompatible = userAgentName(userAgent) === "ZulipInvalid";
    let forOrg = org ? templates.get(org) : withoutOrg;
    if (!forOrg) {
      forOrg = [];
      templates.set(org!, forOrg);
    }
    const slot = incompatible ? 1 : 0;
    forOrg[slot] ??= serialise(settingsBody(deps, org, incompatible, URL_SLOT));
    const template = forOrg[slot];
    const origin = publicOrigin(url, subdomain);
    let body = template.bodies.get(origin);
    if (!body) {
      body = Buffer.from(template.parts.join(JSON.stringify(origin).slice(1, -1)) + "\n");
      if (template.bodies.size >= MAX_BODIES) template.bodies.clear();
      template.bodies.set(origin, body);
    }
    return body;
  };
}

/** The body's text split around the URL slot, wherever it stands inside a string. */
function serialise(body: Schema<"ServerSettings">): Template {
  return { parts: JSON.stringify(body).split(URL_SLOT_ESCAPED), bodies: new Map() };
}

/** The answer, typed by the contract. */
function settingsBody(deps: AppDeps, org: Organization | undefined, incompatible: boolean, url: string): Schema<"ServerSettings"> {
  // The root domain of a server without a root organization: what a new organization would get.
  const { email, ldap } = org ? loginMethods(org, deps) : { email: true, ldap: deps.ldap !== undefined };
  return {
    result: "success",
    msg: "",
    authentication_methods: {
      password: email || ldap,
      dev: deps.config.devMode,
      email,
      ldap,
      remoteuser: false,
      github: false,
      azuread: false,
      gitlab: false,
      apple: false,
      google: false,
      saml: false,
      "openid connect": false,
    },
    external_authentication_methods: [],
    // A development server says so in its version, as Zulip's own do ("-dev+git"): a release never serves
    // development login, and clients (and zulip-auth check) hold it to that.
    zulip_version: deps.config.devMode ? `${ZULIP_VERSION}-dev+zulip-auth` : ZULIP_VERSION,
    zulip_merge_base: ZULIP_VERSION,
    zulip_feature_level: ZULIP_FEATURE_LEVEL,
    push_notifications_enabled: false,
    is_incompatible: incompatible,
    ...realmFields(org, { email, ldap, ldapUsernamesAreEmails: deps.ldap?.usernamesAreEmails === true }, url),
  };
}

/**
 * The organization's fields. On the root domain of a server with no root organization Zulip still sends the
 * root URL and the server-wide login settings, and leaves out only the name, icon and description.
 */
function realmFields(org: Organization | undefined, methods: { email: boolean; ldap: boolean; ldapUsernamesAreEmails: boolean }, url: string) {
  const common = {
    realm_uri: url,
    realm_url: url,
    realm_web_public_access_enabled: false,
    email_auth_enabled: methods.email,
    // As Zulip's require_email_format_usernames (zproject/backends.py): false only with LDAP login whose
    // usernames are not emails (the filter matches uid, sAMAccountName… rather than the email attribute).
    require_email_format_usernames: !(methods.ldap && !methods.ldapUsernamesAreEmails),
  };
  if (!org) return common;
  // A path the operator set (e.g. "/user_avatars/…") is under realm_url, as Zulip's uploaded icons are.
  const icon = org.icon_url ?? DEFAULT_REALM_ICON_PATH;
  return { ...common, realm_name: org.name, realm_icon: icon.startsWith("/") ? `${url}${icon}` : icon, realm_description: org.description };
}
