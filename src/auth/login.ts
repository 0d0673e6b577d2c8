import type { Store } from "../store/store.ts";
import type { Organization, User } from "../store/schema.ts";
import { UnavailableError } from "../unavailable.ts";
import type { LdapBackend, LdapOutcome } from "./ldap.ts";
import { userForDirectoryLogin } from "./ldap-user.ts";
import { loginMethods } from "./login-methods.ts";
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
  | "PASSWORD_RESET_REQUIRED"
  | "LDAP_UNAVAILABLE";

/** The outcome of a login, with the rate-limit state when the attempt was counted. */
export type LoginResult = ({ ok: true; user: User } | { ok: false; failure: LoginFailure }) & {
  rateLimit?: RateLimitDecision;
};

type Outcome = { ok: true; user: User } | { ok: false; failure: LoginFailure };

/** What the login logic needs; `ldap` is set when the server has LDAP settings. */
export interface LoginDeps {
  store: Store;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  limiter?: AttemptLimiter;
  ldap?: LdapBackend;
}

/** Email-backend refusals after which Zulip goes on to the LDAP backend; any other is final. */
const TRY_LDAP_AFTER = new Set<LoginFailure>(["AUTHENTICATION_FAILED", "NONEXISTENT_SUBDOMAIN"]);

/**
 * Zulip's password authentication for an organisation that exists (steps 6–15 of fetch_api_key), with the
 * email backend and then the LDAP backend when both are on: either one succeeding logs in, and the attempt
 * is counted once. Every path that ends in AUTHENTICATION_FAILED spends one argon2 verification, like a
 * wrong email password does, so an unknown user, a wrong email password and a wrong LDAP password cannot be
 * told apart by timing.
 */
export async function passwordLogin(deps: LoginDeps, org: Organization, username: string, password: string): Promise<LoginResult> {
  const methods = loginMethods(org, deps);
  const user = methods.email ? await deps.store.findUser(org.id, username) : undefined;
  // Zulip counts per username string; "IAGO@zulip.com" and " ada " log in as iago and ada (the lookup and the
  // directory ignore case and surrounding spaces), so they share one count rather than each getting five.
  const key = username.trim().toLowerCase();
  let rateLimit: RateLimitDecision | undefined;
  if (deps.limiter) {
    if (user?.password_changed_at) await resetIfPasswordChanged(deps.limiter, key, user.password_changed_at);
    rateLimit = await deps.limiter.consume(key);
  }
  const result = await authenticate(deps, org, methods, user, username, password, rateLimit);
  if (deps.limiter && rateLimit) {
    if (result.ok) await deps.limiter.reset(key);
    // The directory's outage is the server's failure, not a guess: it must not lock the user out.
    if (!result.ok && result.failure === "LDAP_UNAVAILABLE") {
      await deps.limiter.refund(key);
      rateLimit = { ...rateLimit, remaining: Math.min(rateLimit.limit, rateLimit.remaining + 1) };
    }
  }
  return { ...result, ...(rateLimit ? { rateLimit } : {}) };
}

/** Zulip clears the count when the password changes; the change may come from another process. */
async function resetIfPasswordChanged(limiter: AttemptLimiter, username: string, changedAt: string): Promise<void> {
  const start = await limiter.windowStart(username);
  if (start !== undefined && Date.parse(changedAt) > start) await limiter.reset(username);
}

async function authenticate(
  deps: LoginDeps,
  org: Organization,
  methods: { email: boolean; ldap: boolean },
  user: User | undefined,
  username: string,
  password: string,
  rateLimit: RateLimitDecision | undefined,
): Promise<Outcome> {
  if (rateLimit && !rateLimit.allowed) return fail("RATE_LIMIT_HIT");
  if (!methods.email && !methods.ldap) return fail("PASSWORD_AUTH_DISABLED");
  if (password === "") return fail("AUTHENTICATION_FAILED");

  let emailOutcome: Outcome | undefined;
  if (methods.email) {
    emailOutcome = await emailBackend(deps, org, user, username, password);
    if (emailOutcome.ok || !methods.ldap || !TRY_LDAP_AFTER.has(emailOutcome.failure)) return emailOutcome;
  }
  // A refusal by the email backend has spent its argon2 verification already: the LDAP step spends no second.
  const ldapOutcome = await ldapBackend(deps, org, username, password, emailOutcome !== undefined);
  // An LDAP refusal that says more than "no" (deactivated, directory down) wins; otherwise the email backend's.
  if (ldapOutcome.ok || ldapOutcome.failure !== "AUTHENTICATION_FAILED") return ldapOutcome;
  return emailOutcome ?? ldapOutcome;
}

const fail = (failure: LoginFailure): Outcome => ({ ok: false, failure });

/** Zulip's EmailAuthBackend: the user's argon2 hash. */
async function emailBackend(deps: LoginDeps, org: Organization, user: User | undefined, username: string, password: string): Promise<Outcome> {
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
  return { ok: true, user };
}

/** Zulip's LDAPAuthBackend: a bind with the directory; the first successful one creates the local user. */
async function ldapBackend(deps: LoginDeps, org: Organization, username: string, password: string, verified: boolean): Promise<Outcome> {
  let outcome: LdapOutcome;
  try {
    outcome = await deps.ldap!.authenticate(username, password);
  } catch (error) {
    if (error instanceof UnavailableError) return fail("LDAP_UNAVAILABLE");
    throw error;
  }
  if (!outcome.ok) {
    if (!verified) await deps.hasher.verifyDummy(password);
    return fail("AUTHENTICATION_FAILED");
  }
  if (org.deactivated) return fail("REALM_DEACTIVATED");
  const existing = await deps.store.findUser(org.id, outcome.email);
  if (existing && !existing.is_active) return fail("USER_DEACTIVATED");
  return { ok: true, user: await userForDirectoryLogin(deps.store, org, outcome.email, outcome.fullName) };
}

/** Zulip's development login: any active user of an active organisation, no password. */
export async function devLogin(store: Store, org: Organization, username: string): Promise<LoginResult> {
  if (org.deactivated) return { ok: false, failure: "REALM_DEACTIVATED" };
  const user = await store.findUser(org.id, username);
  if (!user) return { ok: false, failure: "AUTHENTICATION_FAILED" };
  if (!user.is_active) return { ok: false, failure: "USER_DEACTIVATED" };
  return { ok: true, user };
}
