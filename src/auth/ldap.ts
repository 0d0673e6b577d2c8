import { BusyError, Client, DN, type Entry, Filter, UnavailableError as LdapUnavailable, ResultCodeError } from "ldapts";
import type { Logger } from "pino";
import { anyFailure, guard } from "../shared/unavailable.ts";
import { safeUrl } from "../shared/url.ts";
import { isValidEmail } from "./email.ts";
import { checkLdapConfig, type LdapConfig, USER_PLACEHOLDER } from "./ldap-config.ts";

export { checkLdapConfig, LDAP_DEFAULTS, type LdapConfig, USER_PLACEHOLDER } from "./ldap-config.ts";

/** What the directory said about a username and password. Outages are thrown (UnavailableError "directory"). */
export type LdapOutcome = { ok: true; email: string; fullName: string } | { ok: false; reason: "no-such-user" | "wrong-password" | "no-email" };

/** Checks a username and password against the directory. */
export interface LdapBackend {
  authenticate(username: string, password: string): Promise<LdapOutcome>;
  /** Whether the username a user types is their email (the filter or DN template matches it against the email attribute). */
  readonly usernamesAreEmails?: boolean;
}

/** True when the filter or DN template puts the username in the email attribute, e.g. `(mail=%(user)s)`. */
export function usernamesAreEmails(config: LdapConfig): boolean {
  const where = config.userDnTemplate ?? config.userSearchFilter;
  const attribute = config.emailAttribute.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[(,])\\s*${attribute}\\s*=\\s*${USER_PLACEHOLDER.replace(/[()]/g, "\\$&")}`, "i").test(where);
}

/** A user's bind failed for a reason that is theirs (wrong password, no such DN, locked): not an outage. */
const isRefusal = (error: unknown) => error instanceof ResultCodeError && !(error instanceof BusyError) && !(error instanceof LdapUnavailable);

/**
 * An LDAP backend over ldapts: one connection per login, every wait bounded. In search mode it binds as the
 * service account, finds the one entry whose filter matches the username, then binds as that entry with the
 * password; in template mode it binds as the DN built from the username. Values are escaped: a username
 * cannot widen the filter or change the DN.
 */
export function createLdapBackend(config: LdapConfig, logger?: Logger): LdapBackend {
  checkLdapConfig(config);
  const attributes = [config.emailAttribute, config.fullNameAttribute];

  /**
   * Runs a directory step: a failure `isOutage` recognises (by default any: the server's own binds and searches)
   * is logged for operators (a wrong service password is a misconfiguration to fix) and becomes an outage.
   */
  function step<T>(what: string, action: () => Promise<T>, isOutage: (error: unknown) => boolean = anyFailure): Promise<T> {
    return guard("directory", isOutage, action, (error) => logger?.error({ err: error, ldap: safeUrl(config.url) }, `LDAP ${what} failed`));
  }

  async function findEntry(client: Client, username: string): Promise<Entry | undefined> {
    if (config.bindDn !== undefined) await step("bind as the service account", () => client.bind(config.bindDn!, config.bindPassword));
    const filter = config.userSearchFilter.replaceAll(USER_PLACEHOLDER, Filter.escape(username));
    const { searchEntries } = await step("user search", () => client.search(config.userSearchBase!, { scope: "sub", filter, attributes, sizeLimit: 2 }));
    if (searchEntries.length > 1) logger?.warn({ ldap: safeUrl(config.url) }, "LDAP user search matched several entries: refusing the login");
    return searchEntries.length === 1 ? searchEntries[0] : undefined;
  }

  return {
    usernamesAreEmails: usernamesAreEmails(config),
    async authenticate(username, password) {
      // Control characters are in no directory's usernames; an empty password would be an unauthenticated bind.
      if (username === "" || password === "" || /[\u0000-\u001f\u007f]/.test(username)) return { ok: false, reason: "no-such-user" };
      const client = new Client({ url: config.url, timeout: config.timeoutMs, connectTimeout: config.timeoutMs });
      try {
        let entry: Entry | undefined;
        let dn: string;
        if (config.userDnTemplate === undefined) {
          entry = await findEntry(client, username);
          if (!entry) return { ok: false, reason: "no-such-user" };
          dn = entry.dn;
        } else {
          // DN escaping (RFC 4514) of the value alone: "v=<escaped>" without its "v=".
          dn = config.userDnTemplate.replaceAll(USER_PLACEHOLDER, new DN({ v: username }).toString().slice(2));
        }
        try {
          await step(
            "bind as the user",
            () => client.bind(dn, password),
            (error) => !isRefusal(error),
          );
        } catch (error) {
          // A DN that does not exist and a wrong password look the same from here, as they should.
          if (isRefusal(error)) return { ok: false, reason: "wrong-password" };
          throw error;
        }
        if (!entry) {
          const { searchEntries } = await step("read of the user's entry", () => client.search(dn, { scope: "base", attributes }));
          entry = searchEntries[0];
        }
        const email = firstValue(entry, config.emailAttribute)?.trim();
        if (!email || !isValidEmail(email)) {
          logger?.warn({ ldap: safeUrl(config.url), dn, attribute: config.emailAttribute }, "LDAP entry has no valid email: refusing the login");
          return { ok: false, reason: "no-email" };
        }
        return { ok: true, email, fullName: firstValue(entry, config.fullNameAttribute) ?? "" };
      } finally {
        await client.unbind().catch(() => {});
      }
    },
  };
}

/** The first value of an attribute, its name compared case-insensitively as LDAP does. */
function firstValue(entry: Entry | undefined, attribute: string): string | undefined {
  if (!entry) return undefined;
  const key = Object.keys(entry).find((k) => k.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}
