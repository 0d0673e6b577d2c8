import type { Store } from "../store/store.ts";
import type { Organization, User } from "../store/schema.ts";
import type { PasswordHasher } from "./password-hasher.ts";
import { passwordWeakness, type PasswordPolicy } from "./password-policy.ts";
import type { AttemptLimiter, RateLimitDecision } from "./rate-limit.ts";

/** Why a login was refused, named by the Zulip error code the client will see. */
export type LoginFailure =
  | "RATE_LIMIT_HIT"
  | "PASSWORD_AUTH_DISABLED"
  | "AUTHENTICATION_FAILED"
  | "NONEXISTENT_SUBDOMAIN"
  | "REALM_DEACTIVATED"
  | "USER_DEACTIVATED"
  | "PASSWORD_RESET_REQUIRED";

/** The outcome of a login, with the rate-limit state when the attempt was counted. */
export type LoginResult = ({ ok: true; user: User } | { ok: false; failure: LoginFailure }) & {
  rateLimit?: RateLimitDecision;
};

/** What the login logic needs. */
export interface LoginDeps {
  store: Store;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  limiter?: AttemptLimiter;
}

/**
 * Zulip's password authentication for an organisation that exists (steps 6–15 of fetch_api_key). Every path
 * that ends in AUTHENTICATION_FAILED for a user who is not there spends one argon2 verification, like a wrong
 * password does, so the two cannot be told apart by timing.
 */
export async function passwordLogin(deps: LoginDeps, org: Organization, username: string, password: string): Promise<LoginResult> {
  const user = org.email_auth_enabled ? await deps.store.findUser(org.id, username) : undefined;
  let rateLimit: RateLimitDecision | undefined;
  if (deps.limiter) {
    if (user?.password_changed_at) await resetIfPasswordChanged(deps.limiter, username, user.password_changed_at);
    rateLimit = await deps.limiter.consume(username);
  }
  const result = await authenticate(deps, org, user, username, password, rateLimit);
  if (result.ok && deps.limiter) await deps.limiter.reset(username);
  return result;
}

/** Zulip clears the count when the password changes; the change may come from another process. */
async function resetIfPasswordChanged(limiter: AttemptLimiter, username: string, changedAt: string): Promise<void> {
  const start = await limiter.windowStart(username);
  if (start !== undefined && Date.parse(changedAt) > start) await limiter.reset(username);
}

async function authenticate(
  deps: LoginDeps,
  org: Organization,
  user: User | undefined,
  username: string,
  password: string,
  rateLimit: RateLimitDecision | undefined,
): Promise<LoginResult> {
  const fail = (failure: LoginFailure): LoginResult => ({ ok: false, failure, ...(rateLimit ? { rateLimit } : {}) });
  if (rateLimit && !rateLimit.allowed) return fail("RATE_LIMIT_HIT");
  if (!org.email_auth_enabled && !org.ldap_auth_enabled) return fail("PASSWORD_AUTH_DISABLED");
  if (password === "") return fail("AUTHENTICATION_FAILED");
  if (!org.email_auth_enabled) {
    await deps.hasher.verifyDummy(password);
    return fail("AUTHENTICATION_FAILED");
  }

  if (!user) {
    await deps.hasher.verifyDummy(password);
    return fail((await deps.store.emailExistsAnywhere(username)) ? "NONEXISTENT_SUBDOMAIN" : "AUTHENTICATION_FAILED");
  }
  if (org.deactivated) return fail("REALM_DEACTIVATED");
  if (!user.is_active) return fail("USER_DEACTIVATED");
  if (user.password_hash === null) {
    await deps.hasher.verifyDummy(password);
    return fail("AUTHENTICATION_FAILED");
  }
  if (!(await deps.hasher.verify(user.password_hash, password))) return fail("AUTHENTICATION_FAILED");

  if (deps.hasher.needsRehash(user.password_hash)) {
    // Zulip refuses to carry a weak password over to a new hasher: the user must reset it.
    if (passwordWeakness(password, deps.policy)) return fail("PASSWORD_RESET_REQUIRED");
    await deps.store.updateUser(user.id, { password_hash: await deps.hasher.hash(password) });
  }
  return { ok: true, user, ...(rateLimit ? { rateLimit } : {}) };
}

/** Zulip's development login: any active user of an active organisation, no password. */
export async function devLogin(store: Store, org: Organization, username: string): Promise<LoginResult> {
  if (org.deactivated) return { ok: false, failure: "REALM_DEACTIVATED" };
  const user = await store.findUser(org.id, username);
  if (!user) return { ok: false, failure: "AUTHENTICATION_FAILED" };
  if (!user.is_active) return { ok: false, failure: "USER_DEACTIVATED" };
  return { ok: true, user };
}
