import { withNewKey } from "../auth/api-key.ts";
import { isValidEmail } from "../auth/email.ts";
import type { PasswordHasher } from "../auth/password-hasher.ts";
import { passwordWeakness } from "../auth/password-policy.ts";
import type { PasswordPolicy } from "../auth/password-rules.ts";
import { InvalidInputError, NotFoundError } from "../shared/errors.ts";
import type { Organization, User } from "../store/schema.ts";
import type { Store } from "../store/store.ts";

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Operator actions on organizations and users, shared by the CLI and the demo. */
export class Admin {
  constructor(
    readonly store: Store,
    readonly hasher: PasswordHasher,
    readonly policy: PasswordPolicy,
  ) {}

  async addOrganization(subdomain: string, name?: string): Promise<Organization> {
    // Zulip's ROOT_SUBDOMAIN_ALIASES: www.<root domain> names the root organization, so it cannot name another.
    if (subdomain === "www") throw new InvalidInputError('the subdomain "www" is reserved: www.<root domain> is the root organization (add it as "")');
    if (subdomain !== "" && !SUBDOMAIN.test(subdomain)) {
      throw new InvalidInputError(`invalid subdomain "${subdomain}": use lower-case letters, digits and inner hyphens (or "" for the root organization)`);
    }
    return this.store.createOrganization(subdomain, name ?? (subdomain || "Zulip"));
  }

  async organization(subdomain: string): Promise<Organization> {
    const org = await this.store.findOrganization(subdomain);
    if (!org) throw new NotFoundError(`no organization "${subdomain}"`);
    return org;
  }

  setOrganization(subdomain: string, patch: Parameters<Store["updateOrganization"]>[1]): Promise<void> {
    return this.store.updateOrganization(subdomain, patch);
  }

  /** Creates a user with a password that meets the policy. */
  async addUser(subdomain: string, email: string, password: string, fullName = ""): Promise<User> {
    await this.checkPassword(password);
    return this.createUser(subdomain, email, password, fullName);
  }

  /** Creates a user without applying the password policy (demo data, imports). */
  async createUser(subdomain: string, email: string, password: string | null, fullName = ""): Promise<User> {
    const org = await this.organization(subdomain);
    // A login is refused unless the username is an email address by Zulip's rules (LDAP users come from the directory).
    if (!isValidEmail(email)) throw new InvalidInputError(`"${email}" is not a valid email address`);
    const passwordHash = password === null ? null : await this.hasher.hash(password);
    return withNewKey((apiKey) => this.store.createUser({ organizationId: org.id, email, fullName, passwordHash, apiKey }));
  }

  async user(subdomain: string, email: string): Promise<User> {
    const org = await this.organization(subdomain);
    const user = await this.store.findUser(org.id, email);
    if (!user) throw new NotFoundError(`no user ${email} in organization "${subdomain}"`);
    return user;
  }

  async setPassword(subdomain: string, email: string, password: string): Promise<void> {
    await this.checkPassword(password);
    const user = await this.user(subdomain, email);
    await this.store.updateUser(user.id, { password_hash: await this.hasher.hash(password), password_changed_at: new Date().toISOString() });
  }

  async setUserActive(subdomain: string, email: string, active: boolean): Promise<void> {
    const user = await this.user(subdomain, email);
    await this.store.updateUser(user.id, { is_active: active ? 1 : 0 });
  }

  /** Gives the user a new API key; the old one stops working. Returns nothing: keys are not printed. */
  async regenerateKey(subdomain: string, email: string): Promise<void> {
    const user = await this.user(subdomain, email);
    await withNewKey((apiKey) => this.store.updateUser(user.id, { api_key: apiKey }));
  }

  /** Users with their organization's subdomain, optionally of one organization. */
  async listUsers(subdomain?: string): Promise<(User & { subdomain: string })[]> {
    const orgs = await this.store.listOrganizations();
    const bySubdomain = new Map(orgs.map((o) => [o.id, o.subdomain]));
    const users = await this.store.listUsers(subdomain === undefined ? undefined : (await this.organization(subdomain)).id);
    return users.map((u) => ({ ...u, subdomain: bySubdomain.get(u.organization_id) ?? "" }));
  }

  private async checkPassword(password: string): Promise<void> {
    const weakness = await passwordWeakness(password, this.policy);
    if (weakness) throw new InvalidInputError(weakness);
  }
}
