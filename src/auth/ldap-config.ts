import { InvalidConfigurationError } from "../shared/errors.ts";
import { safeUrl } from "../shared/url.ts";

/** Server-wide LDAP settings (Zulip's AUTH_LDAP_*): how to find a user's entry and what to read from it. */
export interface LdapConfig {
  /** ldap://host:port or ldaps://host:port. */
  url: string;
  /** The account to search as; without it the search is anonymous. */
  bindDn?: string | undefined;
  bindPassword?: string | undefined;
  /** Either a search (base and filter, `%(user)s` standing for the escaped username)… */
  userSearchBase?: string | undefined;
  userSearchFilter: string;
  /** …or a DN template, e.g. `uid=%(user)s,ou=people,dc=example,dc=com` (no search, no service account). */
  userDnTemplate?: string | undefined;
  /** Attributes holding the user's email and full name. */
  emailAttribute: string;
  fullNameAttribute: string;
  /** Longest wait for the connection and for each operation, in milliseconds. */
  timeoutMs: number;
}

/** Zulip's placeholder for the username in a filter or DN template. */
export const USER_PLACEHOLDER = "%(user)s";

/** Defaults for the settings that have one. */
export const LDAP_DEFAULTS = { userSearchFilter: `(uid=${USER_PLACEHOLDER})`, emailAttribute: "mail", fullNameAttribute: "cn" } as const;

/** Refuses settings that cannot work, before the server starts. */
export function checkLdapConfig(config: LdapConfig): void {
  if (!/^ldaps?:\/\/[^/]+\/?$/i.test(config.url))
    throw new InvalidConfigurationError(`the LDAP URL must be ldap://host[:port] or ldaps://host[:port], not ${safeUrl(config.url)}`);
  const search = config.userSearchBase !== undefined;
  const template = config.userDnTemplate !== undefined;
  if (search === template)
    throw new InvalidConfigurationError("give either an LDAP user search base (with its filter) or a user DN template, not both or neither");
  if (search && !config.userSearchFilter.includes(USER_PLACEHOLDER))
    throw new InvalidConfigurationError(`the LDAP user search filter must contain ${USER_PLACEHOLDER}`);
  if (template && !config.userDnTemplate!.includes(USER_PLACEHOLDER))
    throw new InvalidConfigurationError(`the LDAP user DN template must contain ${USER_PLACEHOLDER}`);
  if ((config.bindDn === undefined) !== (config.bindPassword === undefined)) {
    throw new InvalidConfigurationError("an LDAP bind DN needs its password (from the environment or a file), and a password needs its DN");
  }
  if (config.bindPassword === "") throw new InvalidConfigurationError("the LDAP bind password is empty (an empty password is an unauthenticated bind)");
}
