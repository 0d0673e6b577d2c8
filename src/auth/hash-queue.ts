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
  /** Jobs one user (organization + username) may hold over every address; perAddress when absent. */
  perUser?: number;
  /** How long a job over its address's or user's share waits for the share to free (ms); 1 s when absent. */
  shareWaitMs?: number;
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

/** A job over its share, waiting for a job of that key to end. */
interface Parked {
  wake: () => void;
}

/** The queue key of a user, apart from every address's. */
export function userQueueKey(org: string, username: string): string {
  return `user\u0000${org}\u0000${username}`;
}

/**
 * Runs at most `concurrency` jobs at a time. Waiting jobs are bounded in all, per address and per user, and
 * served round-robin across addresses: a flood from one address holds at most its share, and a job from another
 * address waits for at most one job per other waiting address, not for the whole flood. A job over its address's
 * or user's share waits (up to shareWaitMs) for that share to free, then is refused as its client's rate (a
 * 429): a flooder's connections wait instead of spinning through refusals. When the queue is full,
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
  /** Jobs over their share, by the key whose share is full, oldest first. */
  private readonly parked = new Map<string, Parked[]>();
  private readonly perUser: number;
  private readonly shareWaitMs: number;

  constructor(readonly limits: HashQueueLimits) {
    this.perUser = limits.perUser ?? limits.perAddress;
    this.shareWaitMs = limits.shareWaitMs ?? 1_000;
  }

  /**
   * Runs `job` for `client` when its turn comes. Fails with HashQueueFull at once when the queue is full, and
   * after waiting up to shareWaitMs when the client's address or user holds its whole share.
   */
  run<T>(client: HashClient | string, job: () => Promise<T>, deadline = performance.now() + this.shareWaitMs): Promise<T> {
    const { address, user } = typeof client === "string" ? { address: client, user: undefined } : client;
    const full =
      this.holding(address) >= this.limits.perAddress
        ? { key: address, scope: "address" as const }
        : user !== undefined && this.holding(user) >= this.perUser
          ? { key: user, scope: "user" as const }
          : undefined;
    if (full) return this.park(full.key, full.scope, deadline, () => this.run(client, job, deadline));
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

  /** Waits until a job of `key` ends (then tries again) or the deadline passes (then refuses). */
  private park<T>(key: string, scope: "address" | "user", deadline: number, retry: () => Promise<T>): Promise<T> {
    const wait = deadline - performance.now();
    if (wait <= 0 || this.shareWaitMs === 0) return Promise.reject(new HashQueueFull(scope));
    return new Promise<T>((resolve, reject) => {
      const list = this.parked.get(key) ?? [];
      this.parked.set(key, list);
      const entry: Parked = {
        wake: () => {
          clearTimeout(timer);
          retry().then(resolve, reject);
        },
      };
      const timer = setTimeout(() => {
        const i = list.indexOf(entry);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0 && this.parked.get(key) === list) this.parked.delete(key);
        reject(new HashQueueFull(scope));
      }, wait);
      list.push(entry);
    });
  }

  /** Wakes, for each key, the oldest job waiting for its share. */
  private wake(keys: (string | symbol)[]): void {
    for (const key of keys) {
      if (typeof key === "symbol") continue;
      const list = this.parked.get(key);
      const entry = list?.shift();
      if (list?.length === 0) this.parked.delete(key);
      entry?.wake();
    }
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
          // After the next waiting job took the slot: a woken job goes behind those already waiting.
          this.wake(keys);
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
