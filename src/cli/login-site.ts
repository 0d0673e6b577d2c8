import type { SuccessBody } from "../client/answer.ts";
import type { CallOptions, ZulipAuthClient } from "../client/client.ts";
import type { ClientError } from "../client/errors.ts";
import type { GetServerSettings } from "../contract/operations.ts";

/** What a login needs to know about the organization before it asks for a password. */
export interface OrganizationInfo {
  name: string;
  /** The organization's own URL, as the server reports it. */
  url: string | undefined;
  zulipVersion: string;
}

/** A site that answers server_settings but cannot take a password login. */
export type SiteProblem = { kind: "site"; code: "NOT_AN_ORGANIZATION" } | { kind: "site"; code: "PASSWORD_LOGIN_DISABLED"; organization: string };

/** Every reason a site check stops. */
export type SiteCheckError = ClientError<GetServerSettings> | SiteProblem;

/**
 * Asks server_settings whether the site is a Zulip organization that takes passwords. Zulip's clients show
 * the password form when email login, LDAP login, or (older servers) `password` is on; so does this.
 */
export async function checkSite(client: ZulipAuthClient, options?: CallOptions): Promise<{ data: OrganizationInfo } | { error: SiteCheckError }> {
  const { data, error } = await client.serverSettings(options);
  if (error) return { error };
  return organizationOf(data);
}

/** The organization described by server_settings, or why a password login cannot happen there. */
function organizationOf(settings: SuccessBody<GetServerSettings>): { data: OrganizationInfo } | { error: SiteProblem } {
  // The root domain of a server hosting several organizations leaves the organization's fields out.
  if (settings.realm_name === undefined) return { error: { kind: "site", code: "NOT_AN_ORGANIZATION" } };
  const methods = settings.authentication_methods;
  const passwordLogin = settings.email_auth_enabled === true || methods.ldap || methods.password;
  if (!passwordLogin) return { error: { kind: "site", code: "PASSWORD_LOGIN_DISABLED", organization: settings.realm_name } };
  return { data: { name: settings.realm_name, url: settings.realm_url ?? settings.realm_uri, zulipVersion: settings.zulip_version } };
}
