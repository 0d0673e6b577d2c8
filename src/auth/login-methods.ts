import type { Organization } from "../store/schema.ts";

/**
 * The password logins an organization offers. LDAP counts only when the server has LDAP settings too (as
 * in Zulip, where a realm's LDAP flag needs the backend in AUTHENTICATION_BACKENDS).
 */
export function loginMethods(org: Organization, server: { ldap?: unknown }): { email: boolean; ldap: boolean } {
  return { email: org.email_auth_enabled === 1, ldap: org.ldap_auth_enabled === 1 && server.ldap !== undefined };
}
