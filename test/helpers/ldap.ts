import { createLdapBackend, LDAP_DEFAULTS, type LdapBackend, type LdapConfig } from "../../src/auth/ldap.ts";
import type { Logger } from "../../src/server/logger.ts";
import { PEOPLE_DN, SERVICE_ACCOUNT } from "./directory.ts";

/** LDAP settings for the test directory at `url`: a search as the service account, or a DN template. */
export function testLdapConfig(url: string, mode: "search" | "template" = "search", timeoutMs = 3000): LdapConfig {
  const common = { url, ...LDAP_DEFAULTS, timeoutMs };
  return mode === "search"
    ? { ...common, bindDn: SERVICE_ACCOUNT.dn, bindPassword: SERVICE_ACCOUNT.password, userSearchBase: PEOPLE_DN }
    : { ...common, userDnTemplate: `uid=%(user)s,${PEOPLE_DN}` };
}

/** The LDAP backend for the test directory at `url`. */
export function testLdapBackend(url: string, mode: "search" | "template" = "search", logger?: Logger): LdapBackend {
  return createLdapBackend(testLdapConfig(url, mode), logger);
}
