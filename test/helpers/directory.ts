// The test directory: one source for the entries slapd is seeded with (scripts/services.ts) and for what the
// LDAP tests expect of them.

/** The directory's suffix. */
export const BASE_DN = "dc=zulip,dc=test";
export const PEOPLE_DN = `ou=people,${BASE_DN}`;

/** The account zulip-auth binds as to search for users (anonymous users may not search). */
export const SERVICE_ACCOUNT = { dn: `cn=zulip-auth,ou=services,${BASE_DN}`, password: "service-Bind-pw-31" } as const;

/** A person of the test directory: `uid` is the LDAP username, `mail` the email the directory gives. */
export interface Person {
  uid: string;
  /** The entry's DN as written in LDIF (RFC 4514 escapes). */
  dn: string;
  password: string;
  cn: string;
  mail?: string;
}

const person = (uid: string, rdnValue: string, password: string, cn: string, mail?: string): Person => ({
  uid,
  dn: `uid=${rdnValue},${PEOPLE_DN}`,
  password,
  cn,
  ...(mail === undefined ? {} : { mail }),
});

export const PEOPLE = {
  /** Not a user of zulip-auth until her first LDAP login; her directory email has capitals. */
  ada: person("ada", "ada", "ada-Ldap-pass-1", "Ada Lovelace", "Ada.Lovelace@example.org"),
  /** Also a local user (iago@zulip.com) with another, email-login password. */
  iago: person("iago", "iago", "iago-Ldap-pass-9", "Iago of the Directory", "iago@zulip.com"),
  /** Also a local user, deactivated by the tests that use him. */
  hamlet: person("hamlet", "hamlet", "hamlet-Ldap-pass-2", "King Hamlet", "hamlet@zulip.com"),
  /** A comma in the uid: the DN must escape it. */
  smith: person("smith, john", "smith\\, john", "smith-Ldap-pass-3", "John Smith", "john.smith@example.org"),
  /** A `*` in the uid: a filter must match it literally, not as a wildcard. */
  oneil: person("o*neil", "o*neil", "oneil-Ldap-pass-4", "Pat O'Neil", "pat.oneil@example.org"),
  /** No mail attribute: cannot be a Zulip user. */
  nomail: person("nomail", "nomail", "nomail-Ldap-pass-5", "No Mail"),
  /** A mail attribute that is not an email address. */
  badmail: person("badmail", "badmail", "badmail-Ldap-pass-6", "Bad Mail", "not-an-email"),
} as const satisfies Record<string, Person>;

/** The LDIF slapadd loads into a fresh test directory. */
export function seedLdif(): string {
  const entries = [
    [`dn: ${BASE_DN}`, "objectClass: dcObject", "objectClass: organization", "dc: zulip", "o: Zulip Test"],
    [`dn: ou=people,${BASE_DN}`, "objectClass: organizationalUnit", "ou: people"],
    [`dn: ou=services,${BASE_DN}`, "objectClass: organizationalUnit", "ou: services"],
    [
      `dn: ${SERVICE_ACCOUNT.dn}`,
      "objectClass: organizationalRole",
      "objectClass: simpleSecurityObject",
      "cn: zulip-auth",
      `userPassword: ${SERVICE_ACCOUNT.password}`,
    ],
    ...Object.values(PEOPLE).map((p: Person) => [
      `dn: ${p.dn}`,
      "objectClass: inetOrgPerson",
      `uid: ${p.uid}`,
      `cn: ${p.cn}`,
      `sn: ${p.cn.split(" ").at(-1)}`,
      `userPassword: ${p.password}`,
      ...(p.mail === undefined ? [] : [`mail: ${p.mail}`]),
    ]),
  ];
  return entries.map((lines) => lines.join("\n")).join("\n\n") + "\n";
}

/** slapd's configuration: an mdb database, and ACLs under which only the service account may search. */
export function slapdConf(dir: string, rootPassword: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args

database mdb
maxsize 10485760
suffix "${BASE_DN}"
rootdn "cn=admin,${BASE_DN}"
rootpw ${rootPassword}
directory ${dir}/data
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="${SERVICE_ACCOUNT.dn}" read
  by self read
  by * none
`;
}
