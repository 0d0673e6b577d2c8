/** The hash queue refused a job: one address holds its whole share, or the queue is full. */
export class HashQueueFull extends Error {
  override name = "HashQueueFull";
  constructor(readonly scope: "address" | "server") {
    super(scope === "address" ? "this address has its share of the hash queue" : "the hash queue is full");
  }
}

/** How much hashing may wait: in all, and per address (running jobs included). */
export interface HashQueueLimits {
  concurrency: number;
  maxQueued: number;
  perAddress: number;
}

interface Job {
  start: () => void;
}

/**
 * Runs at most `concurrency` jobs at a time. Waiting jobs are bounded in all and per address, and served
 * round-robin across addresses: a flood from one address holds at most its share, and a job from another
 * address waits for at most one job per other waiting address, not for the whole flood.
 */
export class FairQueue {
  private running = 0;
  private queued = 0;
  /** Waiting jobs by address, in the order addresses are served. */
  private readonly waiting = new Map<string | symbol, Job[]>();
  /** Jobs running or waiting, by address. */
  private readonly held = new Map<string | symbol, number>();

  constructor(readonly limits: HashQueueLimits) {}

  /** Runs `job` for `address` when its turn comes; fails at once with HashQueueFull when past the bounds. */
  run<T>(address: string, job: () => Promise<T>): Promise<T> {
    const held = this.held.get(address) ?? 0;
    if (held >= this.limits.perAddress) return Promise.reject(new HashQueueFull("address"));
    if (this.running >= this.limits.concurrency && this.queued >= this.limits.maxQueued) return Promise.reject(new HashQueueFull("server"));
    return this.enqueue(address, job);
  }

  /** Runs work no client asked for (the operator's, a rehash after a login) in its turn, never refused. */
  runInternal<T>(key: symbol, job: () => Promise<T>): Promise<T> {
    return this.enqueue(key, job);
  }

  private enqueue<T>(address: string | symbol, job: () => Promise<T>): Promise<T> {
    const held = this.held.get(address) ?? 0;
    this.held.set(address, held + 1);
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.running += 1;
        job()
          .then(resolve, reject)
          .finally(() => {
            this.running -= 1;
            const left = this.held.get(address)! - 1;
            if (left === 0) this.held.delete(address);
            else this.held.set(address, left);
            this.next();
          });
      };
      if (this.running < this.limits.concurrency) return start();
      this.queued += 1;
      const jobs = this.waiting.get(address);
      if (jobs) jobs.push({ start });
      else this.waiting.set(address, [{ start }]);
    });
  }

  /** Whether `address` holds its whole share now (a job from it would be refused). */
  isFull(address: string): boolean {
    return (this.held.get(address) ?? 0) >= this.limits.perAddress;
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }

  /** Jobs waiting (not running). */
  get size(): number {
    return this.queued;
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
