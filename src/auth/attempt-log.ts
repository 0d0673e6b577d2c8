/** Which of the three rules a bucket belongs to (see LimitRules): a, b or c. */
export type RuleName = "user-address" | "address" | "user";

/**
 * One sliding log. Parts a rule does not use are "": (a) has all three, (b) the address only, (c) the
 * organisation and username.
 */
export interface Bucket {
  rule: RuleName;
  /** The organisation's subdomain ("" for the root organisation). */
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
   * at `now` in every one. Returns whether it was recorded and each bucket's entries afterwards.
   */
  record(requests: LogRequest[], now: number, id: string): Promise<{ recorded: boolean; times: number[][] }>;
  /** Takes entry `id` back out of these buckets. */
  remove(buckets: Bucket[], id: string): Promise<void>;
  /** Empties these buckets. */
  clear(buckets: Bucket[]): Promise<void>;
  /**
   * What a successful login gives back: empties `clear` of entries up to `upTo` (the success's time) and takes entry `id` out of `remove`. A log may write
   * it later, with its next write, as long as every read of its own (record, list) sees it first. Without it,
   * the limiter calls clear() and remove().
   */
  release?(clear: Bucket[], remove: Bucket[], id: string, upTo: number): Promise<void>;
  /** The buckets matching a filter that hold live entries at `now`. */
  list(filter: BucketFilter, now: number): Promise<BucketEntries[]>;
  /** Empties every bucket matching a filter; returns how many held entries. */
  clearMatching(filter: BucketFilter): Promise<number>;
  /** Drops every expired entry (the store-wide sweep that bounds storage for buckets never seen again). */
  prune(now: number): Promise<void>;
  /** Answers whether the store is reachable (health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Whether a bucket matches a filter. */
export function matches(bucket: Bucket, filter: BucketFilter): boolean {
  if (filter.rules && !filter.rules.includes(bucket.rule)) return false;
  if (filter.username !== undefined && (bucket.rule === "address" || bucket.username !== filter.username)) return false;
  if (filter.org !== undefined && (bucket.rule === "address" || bucket.org !== filter.org)) return false;
  if (filter.address !== undefined && (bucket.rule === "user" || bucket.address !== filter.address)) return false;
  return true;
}
