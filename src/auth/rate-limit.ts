/** Zulip's authenticate_by_username rule: at most `attempts` counted attempts per `windowSeconds` per username. */
export interface RateLimitRule {
  attempts: number;
  windowSeconds: number;
}

/** Zulip's default: 5 attempts per 30 minutes. */
export const ZULIP_AUTH_RATE_LIMIT: RateLimitRule = { attempts: 5, windowSeconds: 1800 };

/** The state of one username's counter after an attempt was counted, or why it was refused. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the window frees up, Unix seconds. */
  resetAt: number;
  /** Seconds until an attempt will be allowed again (0 when allowed). */
  retryAfter: number;
}

/**
 * Counts attempts that reach authentication, per username string, server-wide. `consume` counts one and says
 * whether it is allowed; a success `reset`s; `windowStart` tells when the current count began (ms since the
 * epoch), so a password changed after it can clear the count.
 */
export interface AttemptLimiter {
  readonly rule: RateLimitRule;
  consume(username: string): Promise<RateLimitDecision>;
  /** Gives back one counted attempt (the server, not the user, failed: the directory did not answer). */
  refund(username: string): Promise<void>;
  reset(username: string): Promise<void>;
  windowStart(username: string): Promise<number | undefined>;
  /** Answers whether the counters' store is reachable (health checks); absent for in-process counters. */
  ping?(): Promise<void>;
  /** Releases the connection to the counters' store. */
  close?(): Promise<void>;
}

/** Parses "ATTEMPTS/SECONDS" (e.g. "5/1800") or "off". */
export function parseRateLimit(text: string): RateLimitRule | null {
  if (text === "off") return null;
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`expected ATTEMPTS/SECONDS (e.g. 5/1800) or off, not "${text}"`);
  return { attempts: Number(m[1]), windowSeconds: Number(m[2]) };
}
