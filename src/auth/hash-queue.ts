/** The hash queue refused a job: its address or its user holds a whole share, or the queue is full. */
export class HashQueueFull extends Error {
  override name = "HashQueueFull";
  constructor(readonly scope: "address" | "user" | "server") {
    super(scope === "server" ? "the hash queue is full" : `this ${scope} has its share of the hash queue`);
  }
}

/** How much hashing may wait: in all, and per address and per user (running jobs included). */
export interface HashQueueLimits {
  concurrency: number;
  maxQueued: number;
  perAddress: number;
  /** Jobs one user (organisation + username) may hold over every address; perAddress when absent. */
  perUser?: number;
}

/** Who a job is for: the client address's group and, once the username is known, the user it logs in as. */
export interface HashClient {
  address: string;
  user?: string | undefined;
}

interface Job {
  keys: (string | symbol)[];
  start: () => void;
  reject: (error: HashQueueFull) => void;
}

/** The queue key of a user, apart from every address's. */
export function userQueueKey(org: string, username: string): string {
  return `user\u0000${org}\u0000${username}`;
}

/**
 * Runs at most `concurrency` jobs at a time. Waiting jobs are bounded in all, per address and per user, and
 * served round-robin across addresses: a flood from one address holds at most its share, and a job from another
 * address waits for at most one job per other waiting address, not for the whole flood. When the queue is full,
 * a newcomer takes the place of the newest waiting job of whoever holds the most (that job is refused as its
 * client's share, a 429), so no address or user keeps others out; only when everyone holds alike is the
 * newcomer refused as the server's overload (a 503).
 */
export class FairQueue {
  private running = 0;
  private queued = 0;
  /** Waiting jobs by address, in the order addresses are served. */
  private readonly waiting = new Map<string | symbol, Job[]>();
  /** Jobs running or waiting, by address and by user key. */
  private readonly held = new Map<string | symbol, number>();
  private readonly perUser: number;

  constructor(readonly limits: HashQueueLimits) {
    this.perUser = limits.perUser ?? limits.perAddress;
  }

  /** Runs `job` for `client` when its turn comes; fails at once with HashQueueFull when past the bounds. */
  run<T>(client: HashClient | string, job: () => Promise<T>): Promise<T> {
    const { address, user } = typeof client === "string" ? { address: client, user: undefined } : client;
    if (this.holding(address) >= this.limits.perAddress) return Promise.reject(new HashQueueFull("address"));
    if (user !== undefined && this.holding(user) >= this.perUser) return Promise.reject(new HashQueueFull("user"));
    const keys = user === undefined ? [address] : [address, user];
    if (this.running >= this.limits.concurrency && this.queued >= this.limits.maxQueued && !this.evictFor(keys)) {
      return Promise.reject(new HashQueueFull("server"));
    }
    return this.enqueue(keys, job);
  }

  /** Runs work no client asked for (the operator's, a rehash after a login) in its turn, never refused. */
  runInternal<T>(key: symbol, job: () => Promise<T>): Promise<T> {
    return this.enqueue([key], job);
  }

  /** Whether `key` (an address, or a userQueueKey) holds its whole share now (a job for it would be refused). */
  isFull(key: string): boolean {
    return this.holding(key) >= (key.startsWith("user\u0000") ? this.perUser : this.limits.perAddress);
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting (not running). */
  get size(): number {
    return this.queued;
  }

  private holding(key: string | symbol): number {
    return this.held.get(key) ?? 0;
  }

  /** The most any of a job's keys holds. */
  private weight(keys: (string | symbol)[]): number {
    return Math.max(...keys.map((k) => this.holding(k)));
  }

  /**
   * Makes room for a job with these keys by refusing the newest waiting job of the heaviest client, when that
   * client holds more than the newcomer would. Returns whether room was made.
   */
  private evictFor(keys: (string | symbol)[]): boolean {
    const mine = this.weight(keys) + 1;
    let victim: { address: string | symbol; jobs: Job[]; weight: number } | undefined;
    for (const [address, jobs] of this.waiting) {
      if (typeof address === "symbol") continue;
      const weight = this.weight(jobs[jobs.length - 1]!.keys);
      // Among the heaviest, the last in line: the newest.
      if (weight > mine && (!victim || weight >= victim.weight)) victim = { address, jobs, weight };
    }
    if (!victim) return false;
    const job = victim.jobs.pop()!;
    if (victim.jobs.length === 0) this.waiting.delete(victim.address);
    this.queued -= 1;
    const heavy = job.keys.length > 1 && this.holding(job.keys[1]!) > this.holding(job.keys[0]!) ? "user" : "address";
    this.release(job.keys);
    job.reject(new HashQueueFull(heavy));
    return true;
  }

  private enqueue<T>(keys: (string | symbol)[], job: () => Promise<T>): Promise<T> {
    for (const key of keys) this.held.set(key, this.holding(key) + 1);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running += 1;
        // The slot is given back before the caller hears: its next job finds it free.
        const done = () => {
          this.running -= 1;
          this.release(keys);
          this.next();
        };
        job().then(
          (value) => (done(), resolve(value)),
          (error: unknown) => (done(), reject(error)),
        );
      };
      if (this.running < this.limits.concurrency) return start();
      this.queued += 1;
      const address = keys[0]!;
      const entry: Job = { keys, start, reject };
      const jobs = this.waiting.get(address);
      if (jobs) jobs.push(entry);
      else this.waiting.set(address, [entry]);
    });
  }

  private release(keys: (string | symbol)[]): void {
    for (const key of keys) {
      const left = this.holding(key) - 1;
      if (left <= 0) this.held.delete(key);
      else this.held.set(key, left);
    }
  }

  private next(): void {
    // Round-robin: the first address in line gives one job, then goes to the back if it has more.
    const first = this.waiting.entries().next();
    if (first.done) return;
    const [address, jobs] = first.value;
    const job = jobs.shift()!;
    this.waiting.delete(address);
    if (jobs.length > 0) this.waiting.set(address, jobs);
    this.queued -= 1;
    job.start();
  }
}
