import { readFileSync } from "node:fs";
import { checkLdapConfig, LDAP_DEFAULTS, type LdapConfig } from "../auth/ldap-config.ts";
import { SERVICE_TIMEOUT } from "./options.ts";
import { derived, setting, type Values } from "./setting.ts";
import { UserError } from "./user-error.ts";

/** `serve`'s LDAP settings, each also an environment variable; the bind password is one only (arguments show in `ps`). */
const LDAP_SETTINGS = {
  url: setting({
    flag: "--ldap-url <url>",
    env: "ZULIP_AUTH_LDAP_URL",
    help: "LDAP server, ldap://host:port or ldaps://host:port (turns the LDAP settings on)",
    doc: "`ldap://host:port` or `ldaps://host:port`: turns the [LDAP](ldap.md) settings on",
    example: "ldaps://ldap.example.com:636",
  }),
  bindDn: setting({
    flag: "--ldap-bind-dn <dn>",
    env: "ZULIP_AUTH_LDAP_BIND_DN",
    help: "account to search the directory as (its password from $ZULIP_AUTH_LDAP_BIND_PASSWORD or --ldap-bind-password-file)",
    doc: "account that searches the directory",
    defaultText: "none (anonymous)",
    example: "cn=zulip-auth,ou=services,dc=example,dc=com",
  }),
  bindPassword: setting({
    env: "ZULIP_AUTH_LDAP_BIND_PASSWORD",
    help: "the bind DN's password (never an argument: arguments show in ps)",
    doc: "its password (never an argument: arguments show in `ps`)",
  }),
  bindPasswordFile: setting({
    flag: "--ldap-bind-password-file <path>",
    env: "ZULIP_AUTH_LDAP_BIND_PASSWORD_FILE",
    help: "file holding the bind password (one line)",
    doc: "or a file holding it (one line)",
    example: "/etc/zulip-auth/ldap-bind-password",
  }),
  userSearchBase: setting({
    flag: "--ldap-user-search-base <dn>",
    env: "ZULIP_AUTH_LDAP_USER_SEARCH_BASE",
    help: "where to search for users, e.g. ou=people,dc=example,dc=com",
    doc: "where users are searched (subtree), e.g. `ou=people,dc=example,dc=com`",
    example: "ou=people,dc=example,dc=com",
  }),
  userSearchFilter: setting({
    flag: "--ldap-user-search-filter <filter>",
    env: "ZULIP_AUTH_LDAP_USER_SEARCH_FILTER",
    help: "search filter; %(user)s is the escaped username",
    doc: "search filter; `%(user)s` is the escaped username",
    default: LDAP_DEFAULTS.userSearchFilter,
  }),
  userDnTemplate: setting({
    flag: "--ldap-user-dn-template <dn>",
    env: "ZULIP_AUTH_LDAP_USER_DN_TEMPLATE",
    help: "instead of a search: the user's DN, e.g. uid=%(user)s,ou=people,dc=example,dc=com",
    doc: "instead of a search: the user's DN, e.g. `uid=%(user)s,ou=people,dc=example,dc=com`",
    example: "uid=%(user)s,ou=people,dc=example,dc=com",
  }),
  emailAttribute: setting({
    flag: "--ldap-email-attribute <name>",
    env: "ZULIP_AUTH_LDAP_EMAIL_ATTRIBUTE",
    help: "attribute holding the user's email",
    default: LDAP_DEFAULTS.emailAttribute,
  }),
  fullNameAttribute: setting({
    flag: "--ldap-full-name-attribute <name>",
    env: "ZULIP_AUTH_LDAP_FULL_NAME_ATTRIBUTE",
    help: "attribute holding the user's full name",
    default: LDAP_DEFAULTS.fullNameAttribute,
  }),
  // The same setting as serve's own: one wait for every service.
  timeoutMs: SERVICE_TIMEOUT,
};

/** The server's LDAP settings, or undefined without --ldap-url; throws a UserError (exit code 2, bad usage) for settings that cannot work. */
function ldapConfigFrom({ bindPassword, bindPasswordFile, ...o }: Values<typeof LDAP_SETTINGS>): LdapConfig | undefined {
  if (o.url === undefined) {
    const stray = [o.bindDn, bindPasswordFile, o.userSearchBase, o.userDnTemplate, bindPassword].some((v) => v !== undefined);
    if (stray) throw new UserError("LDAP settings were given without --ldap-url (ZULIP_AUTH_LDAP_URL)", 2);
    return undefined;
  }
  if (bindPassword !== undefined && bindPasswordFile !== undefined) {
    throw new UserError(`give the LDAP bind password once: ${LDAP_SETTINGS.bindPassword.env} or --ldap-bind-password-file, not both`, 2);
  }
  const config = { ...o, url: o.url, bindPassword: bindPasswordFile === undefined ? bindPassword : readPasswordFile(bindPasswordFile) };
  checkLdapConfig(config);
  return config;
}

/** `serve`'s LDAP settings, made into the server's LdapConfig. */
export const LDAP = derived(LDAP_SETTINGS, ldapConfigFrom);

function readPasswordFile(path: string): string {
  try {
    return readFileSync(path, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    throw new UserError(`cannot read the LDAP bind password file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
}
