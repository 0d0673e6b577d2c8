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
 * Zulip's authenticate_by_username rule: counts attempts that reach authentication, per username string,
 * server-wide. `consume` refuses without counting once the limit is reached; a success `reset`s.
 */
export interface AttemptLimiter {
  consume(username: string): Promise<RateLimitDecision>;
  reset(username: string): Promise<void>;
}
