import { readFileSync } from "node:fs";
import { Option } from "commander";
import { checkLdapConfig, LDAP_DEFAULTS, type LdapConfig } from "../auth/ldap-config.ts";
import { UserError } from "./user-error.ts";

/** The environment variable holding the LDAP bind password (never an argument: arguments show in `ps`). */
export const LDAP_BIND_PASSWORD_ENV = "ZULIP_AUTH_LDAP_BIND_PASSWORD";

/** `serve`'s LDAP options, each also an environment variable. */
export function ldapOptions(): Option[] {
  return [
    new Option("--ldap-url <url>", "LDAP server, ldap://host:port or ldaps://host:port (turns the LDAP settings on)").env("ZULIP_AUTH_LDAP_URL"),
    new Option(
      "--ldap-bind-dn <dn>",
      "account to search the directory as (its password from $" + LDAP_BIND_PASSWORD_ENV + " or --ldap-bind-password-file)",
    ).env("ZULIP_AUTH_LDAP_BIND_DN"),
    new Option("--ldap-bind-password-file <path>", "file holding the bind password (one line)").env("ZULIP_AUTH_LDAP_BIND_PASSWORD_FILE"),
    new Option("--ldap-user-search-base <dn>", "where to search for users, e.g. ou=people,dc=example,dc=com").env("ZULIP_AUTH_LDAP_USER_SEARCH_BASE"),
    new Option("--ldap-user-search-filter <filter>", "search filter; %(user)s is the escaped username")
      .env("ZULIP_AUTH_LDAP_USER_SEARCH_FILTER")
      .default(LDAP_DEFAULTS.userSearchFilter),
    new Option("--ldap-user-dn-template <dn>", "instead of a search: the user's DN, e.g. uid=%(user)s,ou=people,dc=example,dc=com").env(
      "ZULIP_AUTH_LDAP_USER_DN_TEMPLATE",
    ),
    new Option("--ldap-email-attribute <name>", "attribute holding the user's email")
      .env("ZULIP_AUTH_LDAP_EMAIL_ATTRIBUTE")
      .default(LDAP_DEFAULTS.emailAttribute),
    new Option("--ldap-full-name-attribute <name>", "attribute holding the user's full name")
      .env("ZULIP_AUTH_LDAP_FULL_NAME_ATTRIBUTE")
      .default(LDAP_DEFAULTS.fullNameAttribute),
  ];
}

/** What commander parsed from the options above. */
export interface LdapOptionValues {
  ldapUrl?: string;
  ldapBindDn?: string;
  ldapBindPasswordFile?: string;
  ldapUserSearchBase?: string;
  ldapUserSearchFilter: string;
  ldapUserDnTemplate?: string;
  ldapEmailAttribute: string;
  ldapFullNameAttribute: string;
}

/** The server's LDAP settings, or undefined without --ldap-url; throws a UserError (exit code 2, bad usage) for settings that cannot work. */
export function ldapConfigFrom(o: LdapOptionValues, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): LdapConfig | undefined {
  const envPassword = env[LDAP_BIND_PASSWORD_ENV];
  if (!o.ldapUrl) {
    const stray = [o.ldapBindDn, o.ldapBindPasswordFile, o.ldapUserSearchBase, o.ldapUserDnTemplate, envPassword].some((v) => v !== undefined);
    if (stray) throw new UserError("LDAP settings were given without --ldap-url (ZULIP_AUTH_LDAP_URL)", 2);
    return undefined;
  }
  if (envPassword !== undefined && o.ldapBindPasswordFile !== undefined) {
    throw new UserError(`give the LDAP bind password once: ${LDAP_BIND_PASSWORD_ENV} or --ldap-bind-password-file, not both`, 2);
  }
  const config: LdapConfig = {
    url: o.ldapUrl,
    bindDn: o.ldapBindDn,
    bindPassword: o.ldapBindPasswordFile === undefined ? envPassword : readPasswordFile(o.ldapBindPasswordFile),
    userSearchBase: o.ldapUserSearchBase,
    userSearchFilter: o.ldapUserSearchFilter,
    userDnTemplate: o.ldapUserDnTemplate,
    emailAttribute: o.ldapEmailAttribute,
    fullNameAttribute: o.ldapFullNameAttribute,
    timeoutMs,
  };
  checkLdapConfig(config);
  return config;
}

function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    throw new UserError(`cannot read the LDAP bind password file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
}
