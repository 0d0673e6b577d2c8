import { addressGroup } from "../auth/address-group.ts";
import { type AttemptLog, type BucketFilter, namesAddress, namesUser, type RuleName } from "../auth/attempt-log.ts";
import { usernameKey } from "../auth/login-limiter.ts";

/** One bucket as an operator sees it. */
export interface LimitRow {
  /** a to e, as the docs name the rules. */
  rule: "a" | "b" | "c" | "d" | "e";
  organization: string;
  user: string;
  address: string;
  /** Attempts in the window now, and how many the rule allows. */
  attempts: number;
  limit: number;
  windowSeconds: number;
  /** Until when attempts are refused (ISO time), or null when the bucket still has room. */
  limitedUntil: string | null;
  /** When the last attempt leaves the window and the bucket is empty (ISO time). */
  clearsAt: string;
}

const LETTER: Record<RuleName, LimitRow["rule"]> = { "user-address": "a", address: "b", user: "c", "user-success": "d", "address-success": "e" };

/** Who an operator names: a user (optionally in one organization), an address, or both. */
export interface LimitTarget {
  user?: string | undefined;
  org?: string | undefined;
  address?: string | undefined;
}

/** Whose limits are lifted: a user's (in one organization, or all), or an address's. */
export type ClearTarget = { user: string; org?: string | undefined } | { address: string };

function filterOf(target: LimitTarget): BucketFilter {
  return {
    ...(target.user !== undefined ? { username: usernameKey(target.user) } : {}),
    ...(target.org !== undefined ? { org: target.org } : {}),
    ...(target.address !== undefined ? { address: addressGroup(target.address) } : {}),
  };
}

/** What the brute-force defence holds now: every bucket with attempts in its window, most limited first. */
export async function showLimits(log: AttemptLog, target: LimitTarget, now = Date.now()): Promise<LimitRow[]> {
  const rows = (await log.list(filterOf(target), now)).map(({ bucket, times, attempts, windowMs }): LimitRow => {
    const full = times.length >= attempts;
    return {
      rule: LETTER[bucket.rule],
      organization: namesUser(bucket.rule) ? bucket.org : "*",
      user: namesUser(bucket.rule) ? bucket.username : "*",
      address: namesAddress(bucket.rule) ? bucket.address : "*",
      attempts: times.length,
      limit: attempts,
      windowSeconds: windowMs / 1000,
      limitedUntil: full ? new Date(times[times.length - attempts]! + windowMs).toISOString() : null,
      clearsAt: new Date(times[times.length - 1]! + windowMs).toISOString(),
    };
  });
  return rows.sort((x, y) => Number(y.limitedUntil !== null) - Number(x.limitedUntil !== null) || x.rule.localeCompare(y.rule) || x.user.localeCompare(y.user));
}

/**
 * Lifts limits: for a user, (a), (c) and (d) (in one organization, or all); for an address, (a), (b) and (e).
 * Returns how many buckets were emptied.
 */
export async function clearLimits(log: AttemptLog, target: ClearTarget): Promise<number> {
  const rules: RuleName[] = "user" in target ? ["user-address", "user", "user-success"] : ["user-address", "address", "address-success"];
  return log.clearMatching({ ...filterOf(target), rules });
}
