/** Which of the rules a bucket belongs to (see LimitRules): a, b, c, d or e. */
export type RuleName = "user-address" | "address" | "user" | "user-success" | "address-success";

/** Every rule name, in the docs' order (a)–(e). */
export const RULE_NAMES: readonly RuleName[] = ["user-address", "address", "user", "user-success", "address-success"];

/** The rules keyed by the address only, and those keyed by the organization and username only. */
const ADDRESS_ONLY = new Set<RuleName>(["address", "address-success"]);
const USER_ONLY = new Set<RuleName>(["user", "user-success"]);

/** Whether a rule's buckets name a user (organization and username), and whether they name an address. */
export const namesUser = (rule: RuleName): boolean => !ADDRESS_ONLY.has(rule);
export const namesAddress = (rule: RuleName): boolean => !USER_ONLY.has(rule);

/**
 * One sliding log. Parts a rule does not use are "": (a) has all three, (b) and (e) the address only, (c) and
 * (d) the organization and username.
 */
export interface Bucket {
  rule: RuleName;
  /** The organization's subdomain ("" for the root organization). */
  org: string;
  /** The username as counted: trimmed, case folded. */
  username: string;
  /** The client address's group (an IPv4 address, or an IPv6 /64). */
  address: string;
}

/** One bucket to record an attempt in, with its rule (each entry keeps it, so a reader knows its window). */
export interface LogRequest {
  bucket: Bucket;
  attempts: number;
  windowMs: number;
  /** Entries at or before this time (ms) are dropped too: a password changed then. */
  since?: number | undefined;
  /** Only checked: refuses when full, but the attempt is not recorded here (rules counting successes, later). */
  checkOnly?: boolean | undefined;
}

/** What a successful login adds: its address remembered (see rememberAddress), and its entry in these buckets. */
export interface Success {
  remember?: KnownAddress | undefined;
  count: LogRequest[];
}

/** A bucket's live entries, oldest first (ms since the epoch), and the rule the newest was recorded under. */
export interface BucketEntries {
  bucket: Bucket;
  times: number[];
  attempts: number;
  windowMs: number;
}

/** Which buckets an operator means: every given part must match. */
export interface BucketFilter {
  org?: string | undefined;
  username?: string | undefined;
  address?: string | undefined;
  /** Only these rules. */
  rules?: RuleName[] | undefined;
}

/**
 * Where login attempts are kept (an SQL table, or Redis sorted sets). Each bucket holds at most its rule's
 * number of entries (a refused attempt is not recorded), and entries older than their window are pruned,
 * so storage stays bounded.
 */
export interface AttemptLog {
  /**
   * Atomically, for every bucket: drops expired entries; then, unless one of them is full, records entry `id`
   * at `now` in every one not `checkOnly`. Returns whether it was recorded and each bucket's entries afterwards.
   */
  record(requests: LogRequest[], now: number, id: string): Promise<{ recorded: boolean; times: number[][] }>;
  /** Takes entry `id` back out of these buckets. */
  remove(buckets: Bucket[], id: string): Promise<void>;
  /** Empties these buckets. */
  clear(buckets: Bucket[]): Promise<void>;
  /**
   * What a successful login gives back: empties `clear` of entries up to `upTo` (the attempt's time), takes entry
   * `id` out of `remove`, and records `success` at `upTo` (without refusing). A log may write
   * it later, with its next write, as long as every read of its own (record, list) sees it first. Without it,
   * the limiter calls clear(), remove(), rememberAddress() and record().
   */
  release?(clear: Bucket[], remove: Bucket[], id: string, upTo: number, success: Success): Promise<void>;
  /**
   * Whether `address` is among the addresses this user last logged in from successfully (see remember), at a
   * time after `since` (ms).
   */
  isKnownAddress(user: KnownAddress, since: number): Promise<boolean>;
  /** Notes a successful login from an address, keeping the user's KNOWN_ADDRESSES most recent ones. */
  rememberAddress(user: KnownAddress, at: number): Promise<void>;
  /** The buckets matching a filter that hold live entries at `now`. */
  list(filter: BucketFilter, now: number): Promise<BucketEntries[]>;
  /** Empties every bucket matching a filter; returns how many held entries. */
  clearMatching(filter: BucketFilter): Promise<number>;
  /** Drops every expired entry and known address (the store-wide sweep that bounds storage for keys never seen again). */
  prune(now: number): Promise<void>;
  /** Answers whether the store is reachable (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A user's successful login from an address: organization, username as counted, address group. */
export interface KnownAddress {
  org: string;
  username: string;
  address: string;
}

/** How many addresses a user's list keeps, and for how long: the addresses exempt from rule (c). */
export const KNOWN_ADDRESSES = 10;
export const KNOWN_ADDRESS_MS = 30 * 24 * 3_600_000;

/** Whether a bucket matches a filter. */
export function matches(bucket: Bucket, filter: BucketFilter): boolean {
  if (filter.rules && !filter.rules.includes(bucket.rule)) return false;
  if (filter.username !== undefined && (!namesUser(bucket.rule) || bucket.username !== filter.username)) return false;
  if (filter.org !== undefined && (!namesUser(bucket.rule) || bucket.org !== filter.org)) return false;
  if (filter.address !== undefined && (!namesAddress(bucket.rule) || bucket.address !== filter.address)) return false;
  return true;
}
