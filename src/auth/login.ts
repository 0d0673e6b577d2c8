import type { FetchApiKey } from "../contract/operations.ts";
import type { CodeOfStatus, ErrorCode } from "../contract/types.ts";
import { UnavailableError } from "../shared/unavailable.ts";
import type { Organization, User } from "../store/schema.ts";
import type { Store } from "../store/store.ts";
import { type HashClient, HashQueueFull, userQueueKey } from "./hash-queue.ts";
import type { LdapBackend, LdapOutcome } from "./ldap.ts";
import { userForDirectoryLogin } from "./ldap-user.ts";
import { type LoginLimiter, usernameKey } from "./login-limiter.ts";
import { loginMethods } from "./login-methods.ts";
import { isOverlong, type PasswordHasher } from "./password-hasher.ts";
import { type PasswordPolicy, passwordWeakness } from "./password-policy.ts";
import type { RateLimitDecision } from "./rate-limit.ts";

/**
 * Why a login was refused, named by the Zulip error code the client will see: the codes the contract declares
 * for fetch_api_key's refusals (401, 404, 429) and for an unreachable directory; SERVER_BUSY is a 503
 * SERVICE_UNAVAILABLE from the full hash queue.
 */
export type LoginFailure = CodeOfStatus<FetchApiKey, 401 | 404 | 429> | Extract<ErrorCode<FetchApiKey>, "LDAP_UNAVAILABLE"> | "SERVER_BUSY";

/**
 * The outcome of a login, with the rate-limit state when the attempt was counted; a refusal names the user when
 * known. `checked` says the password was checked (the audit trail keeps such attempts one row each).
 */
export type LoginResult = ({ ok: true; user: User } | { ok: false; failure: LoginFailure; userId?: number; refusedBy?: readonly string[] }) & {
  rateLimit?: RateLimitDecision;
  checked?: boolean;
};

type Outcome = { ok: true; user: User } | { ok: false; failure: LoginFailure };

/** What the login logic needs; `ldap` is set when the server has LDAP settings. */
export interface LoginDeps {
  store: Store;
  hasher: PasswordHasher;
  policy: PasswordPolicy;
  limiter?: LoginLimiter;
  ldap?: LdapBackend;
}

/** Where a login comes from and how its refusals are worded. */
export interface LoginContext {
  /** The client address's group (the limiter's and the hash queue's key). */
  address: string;
  /** The user's key in the hash queue (see loginQueueKey): no user may hold more than a share of it. */
  user?: string;
  /** Deactivated users and organizations, and users of other organizations, get the wrong-password answer. */
  uniformErrors?: boolean;
}

/** Seconds an address is asked to wait when it holds its whole share of the hash queue. */
const HASH_QUEUE_RETRY_AFTER_SECONDS = 1;

/** Email-backend refusals after which Zulip goes on to the LDAP backend; any other is final. */
const TRY_LDAP_AFTER = new Set<LoginFailure>(["AUTHENTICATION_FAILED", "NONEXISTENT_SUBDOMAIN"]);

/** The refusals that tell an account exists (or how it stands): hidden under uniform errors. */
const REVEALING = new Set<LoginFailure>(["NONEXISTENT_SUBDOMAIN", "REALM_DEACTIVATED", "USER_DEACTIVATED"]);

/** The hash queue's key for a login as `username` in organization `org`: the spellings of one user share it. */
export function loginQueueKey(org: string, username: string): string {
  return userQueueKey(org, usernameKey(username));
}

/** The 429 for an address or user that held its whole share of the hash queue for too long: try again in a second. */
function addressBusy(deps: LoginDeps, counted: RateLimitDecision | undefined): LoginResult {
  return { ok: false, failure: "RATE_LIMIT_HIT", refusedBy: ["hash-share"], rateLimit: addressBusyDecision(deps, counted) };
}

/** The rate-limit state of an address or user that holds its whole share of the hash queue. */
function addressBusyDecision(deps: LoginDeps, counted?: RateLimitDecision): RateLimitDecision {
  const retryAfter = HASH_QUEUE_RETRY_AFTER_SECONDS;
  const limit = counted?.limit ?? deps.limiter?.rules.userAddress?.attempts ?? deps.hasher.queue.limits.perAddress;
  return { allowed: false, limit, remaining: 0, resetAt: Math.floor(Date.now() / 1000 + retryAfter), retryAfter };
}

/**
 * Zulip's password authentication for an organization that exists (steps 6–15 of fetch_api_key), with the
 * email backend and then the LDAP backend when both are on: either one succeeding logs in, and the attempt
 * is counted once. Every path that ends in AUTHENTICATION_FAILED spends one argon2 verification, like a
 * wrong email password does, so an unknown user, a wrong email password and a wrong LDAP password cannot be
 * told apart by timing.
 */
export async function passwordLogin(deps: LoginDeps, org: Organization, username: string, password: string, context: LoginContext): Promise<LoginResult> {
  const queueKey = context.user ?? loginQueueKey(org.subdomain, username);
  const methods = loginMethods(org, deps);
  const user = methods.email ? await deps.store.findUser(org.id, username) : undefined;
  // An attempt that cannot succeed and costs no hash (an empty or over-long password, password login off)
  // tells an attacker nothing: it counts under (a) only.
  const hopeless = password === "" || isOverlong(password) || (!methods.email && !methods.ldap);
  const attempt = deps.limiter?.active
    ? await deps.limiter.attempt({
        org: org.subdomain,
        username,
        address: context.address,
        passwordChangedAt: user?.password_changed_at ? Date.parse(user.password_changed_at) : undefined,
        hopeless,
      })
    : undefined;
  let rateLimit = attempt?.decision;
  // A refusal names the user when known (the audit trail records it), and a rate-limit refusal the rules that refused.
  const counted = (result: Outcome, refusedBy?: readonly string[]): LoginResult => ({
    ...result,
    ...(!result.ok && user ? { userId: user.id } : {}),
    ...(refusedBy ? { refusedBy } : {}),
    ...(rateLimit ? { rateLimit } : {}),
  });
  if (attempt && !attempt.allowed) return counted(fail("RATE_LIMIT_HIT"), attempt.refusedBy);

  let result: Outcome;
  try {
    result = await authenticate(deps, org, methods, user, username, password, { ...context, user: queueKey });
    if (result.ok) result = await stillValid(deps, result.user);
  } catch (error) {
    if (!(error instanceof HashQueueFull)) throw error;
    if (error.scope === "server") {
      // The server is overloaded, not the user wrong: the attempt is given back.
      await attempt?.refund();
      return counted(fail("SERVER_BUSY"));
    }
    // This address or user holds its whole share of the hashing: it waits, and the attempt still counts.
    return addressBusy(deps, rateLimit);
  }
  if (result.ok) await attempt?.succeeded();
  // The directory's outage is the server's failure, not a guess: it must not lock the user out.
  if (!result.ok && result.failure === "LDAP_UNAVAILABLE" && attempt) {
    await attempt.refund();
    if (rateLimit) rateLimit = { ...rateLimit, remaining: Math.min(rateLimit.limit, rateLimit.remaining + 1) };
  }
  if (!result.ok && context.uniformErrors && REVEALING.has(result.failure)) result = fail("AUTHENTICATION_FAILED");
  return { ...counted(result), checked: !hopeless };
}

/**
 * The user as the database holds them once the hash is done: a deactivation, password change or new key
 * made while the login was hashing wins, so no key leaves after the operator's command returned.
 */
async function stillValid(deps: LoginDeps, user: User): Promise<Outcome> {
  const now = await deps.store.findUser(user.organization_id, user.email_key);
  if (now?.is_active !== 1) return fail("USER_DEACTIVATED");
  // A rehash after this login changes the hash but not password_changed_at; the operator's set-password both.
  if (now.password_changed_at !== user.password_changed_at || now.api_key !== user.api_key) return fail("AUTHENTICATION_FAILED");
  return { ok: true, user: now };
}

async function authenticate(
  deps: LoginDeps,
  org: Organization,
  methods: { email: boolean; ldap: boolean },
  user: User | undefined,
  username: string,
  password: string,
  context: LoginContext,
): Promise<Outcome> {
  if (!methods.email && !methods.ldap) return fail("PASSWORD_AUTH_DISABLED");
  if (password === "") return fail("AUTHENTICATION_FAILED");

  let emailOutcome: Outcome | undefined;
  if (methods.email) {
    emailOutcome = await emailBackend(deps, org, user, username, password, context);
    if (emailOutcome.ok || !methods.ldap || !TRY_LDAP_AFTER.has(emailOutcome.failure)) return emailOutcome;
  }
  // A refusal by the email backend has spent its argon2 verification already: the LDAP step spends no second.
  const ldapOutcome = await ldapBackend(deps, org, username, password, emailOutcome !== undefined, { address: context.address, user: context.user });
  // An LDAP refusal that says more than "no" (deactivated, directory down) wins; otherwise the email backend's.
  if (ldapOutcome.ok || ldapOutcome.failure !== "AUTHENTICATION_FAILED") return ldapOutcome;
  return emailOutcome ?? ldapOutcome;
}

const fail = (failure: LoginFailure): Outcome => ({ ok: false, failure });

/**
 * Zulip's EmailAuthBackend: the user's argon2 hash. Under uniform errors a deactivated user or organization
 * costs the same full verification as a wrong password (the caller then words the refusal alike).
 */
async function emailBackend(
  deps: LoginDeps,
  org: Organization,
  user: User | undefined,
  username: string,
  password: string,
  context: LoginContext,
): Promise<Outcome> {
  const from: HashClient = { address: context.address, user: context.user };
  if (!user) {
    await deps.hasher.verifyDummy(password, from);
    if (context.uniformErrors) return fail("AUTHENTICATION_FAILED");
    return fail((await deps.store.emailExistsAnywhere(username)) ? "NONEXISTENT_SUBDOMAIN" : "AUTHENTICATION_FAILED");
  }
  const inactive = org.deactivated ? "REALM_DEACTIVATED" : !user.is_active ? "USER_DEACTIVATED" : undefined;
  if (inactive) {
    if (context.uniformErrors) await verifyOrDummy(deps, user, password, from);
    return fail(inactive);
  }
  if (user.password_hash === null) {
    await deps.hasher.verifyDummy(password, from);
    return fail("AUTHENTICATION_FAILED");
  }
  if (!(await deps.hasher.verify(user.password_hash, password, from))) return fail("AUTHENTICATION_FAILED");

  if (deps.hasher.needsRehash(user.password_hash)) {
    // Zulip refuses to carry a weak password over to a new hasher: the user must reset it.
    if (await passwordWeakness(password, deps.policy)) return fail("PASSWORD_RESET_REQUIRED");
    await deps.store.updateUser(user.id, { password_hash: await deps.hasher.hash(password) });
  }
  return { ok: true, user };
}

async function verifyOrDummy(deps: LoginDeps, user: User, password: string, from: HashClient): Promise<void> {
  if (user.password_hash === null) await deps.hasher.verifyDummy(password, from);
  else await deps.hasher.verify(user.password_hash, password, from);
}

/** Zulip's LDAPAuthBackend: a bind with the directory; the first successful one creates the local user. */
async function ldapBackend(deps: LoginDeps, org: Organization, username: string, password: string, verified: boolean, from: HashClient): Promise<Outcome> {
  // An over-long password is refused as wrong, without a bind (the email backend, or this, spends no hash on it).
  if (isOverlong(password)) return fail("AUTHENTICATION_FAILED");
  let outcome: LdapOutcome;
  try {
    outcome = await deps.ldap!.authenticate(username, password);
  } catch (error) {
    if (error instanceof UnavailableError) return fail("LDAP_UNAVAILABLE");
    throw error;
  }
  if (!outcome.ok) {
    if (!verified) await deps.hasher.verifyDummy(password, from);
    return fail("AUTHENTICATION_FAILED");
  }
  if (org.deactivated) return fail("REALM_DEACTIVATED");
  const existing = await deps.store.findUser(org.id, outcome.email);
  if (existing && !existing.is_active) return fail("USER_DEACTIVATED");
  return { ok: true, user: await userForDirectoryLogin(deps.store, org, outcome.email, outcome.fullName) };
}

/** Zulip's development login: any active user of an active organization, no password. */
export async function devLogin(store: Store, org: Organization, username: string): Promise<LoginResult> {
  if (org.deactivated) return { ok: false, failure: "REALM_DEACTIVATED" };
  const user = await store.findUser(org.id, username);
  if (!user) return { ok: false, failure: "AUTHENTICATION_FAILED" };
  if (!user.is_active) return { ok: false, failure: "USER_DEACTIVATED", userId: user.id };
  return { ok: true, user };
}
