import { randomUUID } from "node:crypto";
import { emailKey } from "../store/store.ts";
import { type AttemptLog, type Bucket, KNOWN_ADDRESS_MS, type LogRequest, type RuleName } from "./attempt-log.ts";
import type { LimitRules, RateLimitDecision, RateLimitRule } from "./rate-limit.ts";

/** Who is trying to log in: the organization, the username as typed, the client address's group. */
export interface Attempter {
  org: string;
  username: string;
  address: string;
  /** When the user's password last changed (ms): older attempts no longer count under (a) and (c). */
  passwordChangedAt?: number | undefined;
  /** The attempt can never succeed and costs no hash (an empty password): it counts under (a) only. */
  hopeless?: boolean | undefined;
}

/** A counted attempt: the decision for its answer, and what to do once its outcome is known. */
export interface Attempt {
  decision: RateLimitDecision | undefined;
  allowed: boolean;
  /** The rules whose buckets were full, when refused. */
  refusedBy: RuleName[];
  /**
   * The login succeeded: empties (a) for this address, takes the attempt back out of (b) and (c), and notes the
   * address as one the user logs in from.
   */
  succeeded(): Promise<void>;

  /** The server, not the user, failed (the directory did not answer): the attempt is given back everywhere. */
  refund(): Promise<void>;
}

/** How often the store-wide sweep of expired entries runs at most. */
const SWEEP_EVERY_MS = 60_000;

/** The username as counted: the spellings that log in as one user (case, surrounding spaces) share a count. */
export const usernameKey = emailKey;

/** The buckets of an attempt, by rule. */
function bucketsOf(who: Attempter): Record<RuleName, Bucket> {
  const username = usernameKey(who.username);
  return {
    "user-address": { rule: "user-address", org: who.org, username, address: who.address },
    address: { rule: "address", org: "", username: "", address: who.address },
    user: { rule: "user", org: who.org, username, address: "" },
    "user-success": { rule: "user-success", org: who.org, username, address: "" },
    "address-success": { rule: "address-success", org: "", username: "", address: who.address },
  };
}

/** The rules counting failures (an entry leaves them on success) and those counting successes (recorded on success). */
const FAILURE_RULES = new Set<RuleName>(["address", "user"]);
const SUCCESS_RULES = new Set<RuleName>(["user-success", "address-success"]);

/**
 * The brute-force defence: every attempt that reaches authentication is recorded under the sliding-log rules
 * at once, atomically, and refused (before any hashing) while one of them is full. Refused attempts are not
 * recorded, as in Zulip's limiter. An attempt is counted under (a)–(c) at once, and a success takes it back out
 * of (b) and (c); (d) and (e) are checked at once but count only successes, as they happen. Rule (c) skips the addresses the user logged in
 * from recently, so strangers cannot lock a user out of their own address; an attempt that cannot succeed and
 * costs no hash counts under (a) only.
 */
export class LoginLimiter {
  private lastSweep = 0;

  constructor(
    readonly log: AttemptLog,
    readonly rules: LimitRules,
  ) {}

  /** Whether any rule is on. */
  get active(): boolean {
    return Object.values(this.rules).some((rule) => rule !== null);
  }

  async attempt(who: Attempter): Promise<Attempt> {
    const now = Date.now();
    this.sweep(now);
    const buckets = bucketsOf(who);
    const ruleOf: Record<RuleName, RateLimitRule | null> = {
      "user-address": this.rules.userAddress,
      address: this.rules.address,
      user: this.rules.user,
      "user-success": this.rules.userSuccess,
      "address-success": this.rules.addressSuccess,
    };
    const username = usernameKey(who.username);
    const known = { org: who.org, username, address: who.address };
    // The user's own recent address is exempt from (c): a stranger's failures elsewhere cannot lock them out.
    const exempt =
      ruleOf.user !== null && !who.hopeless && (await this.log.isKnownAddress(known, Math.max(now - KNOWN_ADDRESS_MS, who.passwordChangedAt ?? 0)));
    const active = (Object.keys(buckets) as RuleName[]).filter(
      (name) => ruleOf[name] !== null && (name === "user-address" || !who.hopeless) && !(name === "user" && exempt),
    );
    const none = async () => {};
    if (active.length === 0) return { decision: undefined, allowed: true, refusedBy: [], succeeded: none, refund: none };
    const requests: LogRequest[] = active.map((name) => ({
      bucket: buckets[name],
      attempts: ruleOf[name]!.attempts,
      windowMs: ruleOf[name]!.windowSeconds * 1000,
      since: name === "address" || SUCCESS_RULES.has(name) ? undefined : who.passwordChangedAt,
      // Successes are counted once they happen: a failure in flight never holds a success's place.
      checkOnly: SUCCESS_RULES.has(name),
    }));
    const id = randomUUID();
    const { recorded, times } = await this.log.record(requests, now, id);

    // Seconds until every full bucket has a free slot: its `attempts`-th most recent entry leaves the window.
    let retryAfter = 0;
    if (!recorded) {
      requests.forEach((r, i) => {
        const t = times[i]!;
        if (t.length >= r.attempts) retryAfter = Math.max(retryAfter, (t[t.length - r.attempts]! + r.windowMs - now) / 1000);
      });
    }
    const decision = this.decision(requests, times, recorded, retryAfter, now);
    const failures = requests.filter((r) => FAILURE_RULES.has(r.bucket.rule)).map((r) => r.bucket);
    const successes = requests.filter((r) => r.checkOnly).map((r) => ({ ...r, checkOnly: false }));
    return {
      decision,
      allowed: recorded,
      refusedBy: recorded ? [] : requests.filter((r, i) => times[i]!.length >= r.attempts).map((r) => r.bucket.rule),
      succeeded: async () => {
        if (!recorded) return;
        const clear = this.rules.userAddress ? [buckets["user-address"]] : [];
        const remember = this.rules.user ? known : undefined;
        if (this.log.release) return this.log.release(clear, failures, id, now, { remember, count: successes });
        if (clear.length > 0) await this.log.clear(clear);
        if (failures.length > 0) await this.log.remove(failures, id);
        if (remember) await this.log.rememberAddress(remember, now);
        if (successes.length > 0) await this.log.record(successes, now, id);
      },
      refund: async () => {
        if (recorded)
          await this.log.remove(
            requests.map((r) => r.bucket),
            id,
          );
      },
    };
  }

  /** The X-RateLimit-* state: the caller's own bucket (a), so it says nothing about other addresses. */
  private decision(requests: LogRequest[], times: number[][], recorded: boolean, retryAfter: number, now: number): RateLimitDecision | undefined {
    const i = requests.findIndex((r) => r.bucket.rule === "user-address");
    if (!recorded) {
      // Refused: nothing may be tried now, whichever rule is full.
      const limit = i >= 0 ? requests[i]!.attempts : requests.find((r, j) => times[j]!.length >= r.attempts)!.attempts;
      return { allowed: false, limit, remaining: 0, resetAt: Math.floor(now / 1000 + retryAfter), retryAfter };
    }
    if (i < 0) return undefined;
    const { attempts, windowMs } = requests[i]!;
    const t = times[i]!;
    return {
      allowed: true,
      limit: attempts,
      remaining: Math.max(0, attempts - t.length),
      resetAt: Math.floor((t[t.length - 1]! + windowMs) / 1000),
      retryAfter: 0,
    };
  }

  /** Now and then, drops expired entries store-wide (buckets never touched again would otherwise stay). */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    // A failed sweep is retried at the next one; the attempt itself reports any outage.
    this.log.prune(now).catch(() => {});
  }

  /**
   * Fills rule (c)'s log of a username, as that many failures from anywhere would, so that it is refused from
   * every address. Returns the milliseconds until its oldest entry expires (a slot frees), or undefined when
   * rule (c) is off.
   */
  async fillUserLog(org: string, username: string): Promise<number | undefined> {
    const rule = this.rules.user;
    if (!rule) return undefined;
    const request: LogRequest = { bucket: bucketsOf({ org, username, address: "" }).user, attempts: rule.attempts, windowMs: rule.windowSeconds * 1000 };
    for (;;) {
      const now = Date.now();
      const { recorded, times } = await this.log.record([request], now, randomUUID());
      const t = times[0]!;
      if (!recorded) return t[t.length - rule.attempts]! + request.windowMs - now;
    }
  }

  ping(): Promise<void> {
    return this.log.ping();
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
