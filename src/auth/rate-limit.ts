/** One sliding-log rule: at most `attempts` counted attempts within any `windowSeconds`. */
export interface RateLimitRule {
  attempts: number;
  windowSeconds: number;
}

/**
 * The rules a login attempt is counted under, each a sliding log, each `null` when switched off:
 * (a) `userAddress`, per organization + username + client address (Zulip's rule, the one the X-RateLimit-*
 * headers describe); (b) `address`, per client address across usernames (spraying); (c) `user`, per
 * organization + username across addresses (distributed guessing), except from the user's own recent
 * addresses. (b) and (c) count failures only; (d) `userSuccess` and (e) `addressSuccess` count successes
 * only, per user and per address, so that even a valid account cannot keep the hashing busy.
 */
export interface LimitRules {
  userAddress: RateLimitRule | null;
  address: RateLimitRule | null;
  user: RateLimitRule | null;
  userSuccess: RateLimitRule | null;
  addressSuccess: RateLimitRule | null;
}

/** Zulip's default for rule (a): 5 attempts per 30 minutes. */
export const ZULIP_AUTH_RATE_LIMIT: RateLimitRule = { attempts: 5, windowSeconds: 1800 };

/** Rule (b)'s default: one address's failures over every username. */
export const ADDRESS_RATE_LIMIT: RateLimitRule = { attempts: 30, windowSeconds: 1800 };

/** Rule (c)'s default: high enough that only a large, distributed attack reaches it. */
export const USER_RATE_LIMIT: RateLimitRule = { attempts: 100, windowSeconds: 1800 };

/** Rule (d)'s default: successful logins per user; a real client logs in a few times a day. */
export const USER_SUCCESS_RATE_LIMIT: RateLimitRule = { attempts: 30, windowSeconds: 60 };

/** Rule (e)'s default: successful logins per address, across users (an office behind one NAT included). */
export const ADDRESS_SUCCESS_RATE_LIMIT: RateLimitRule = { attempts: 120, windowSeconds: 60 };

/** The defaults of `serve`. */
export const DEFAULT_LIMIT_RULES: LimitRules = {
  userAddress: ZULIP_AUTH_RATE_LIMIT,
  address: ADDRESS_RATE_LIMIT,
  user: USER_RATE_LIMIT,
  userSuccess: USER_SUCCESS_RATE_LIMIT,
  addressSuccess: ADDRESS_SUCCESS_RATE_LIMIT,
};

/** Every rule off. */
export const NO_LIMIT_RULES: LimitRules = { userAddress: null, address: null, user: null, userSuccess: null, addressSuccess: null };

/** The state of the caller's bucket (a) after an attempt was counted, or why it was refused. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the bucket is empty again, Unix seconds. */
  resetAt: number;
  /** Seconds until an attempt will be allowed again (0 when allowed). */
  retryAfter: number;
}

/** Parses "ATTEMPTS/SECONDS" (e.g. "5/1800") or "off". */
export function parseRateLimit(text: string): RateLimitRule | null {
  if (text === "off") return null;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`expected ATTEMPTS/SECONDS (e.g. 5/1800) or off, not "${text}"`);
  return { attempts: Number(m[1]), windowSeconds: Number(m[2]) };
}

/** "5/1800", or "off": the notation parseRateLimit reads. */
export function formatRateLimit(rule: RateLimitRule | null): string {
  return rule ? `${rule.attempts}/${rule.windowSeconds}` : "off";
}
