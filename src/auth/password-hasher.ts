import { availableParallelism } from "node:os";
import { hash, type Options, parseOptions, verify } from "@node-rs/argon2";
import { type HashParams, OWASP_MINIMUM } from "./hash-params.ts";
import { FairQueue, type HashClient, type HashQueueLimits } from "./hash-queue.ts";

export { type HashParams, OWASP_MINIMUM, parseHashParams } from "./hash-params.ts";

/** Longer passwords are refused as wrong without being hashed: their hashing costs more, and no one types them. */
const MAX_PASSWORD_BYTES = 1024;

/** Whether a password is over MAX_PASSWORD_BYTES. */
export function isOverlong(password: string): boolean {
  return Buffer.byteLength(password, "utf8") > MAX_PASSWORD_BYTES;
}

/**
 * One argon2 more than the cores (HASHES_OVER_CORES), but always a thread of libuv's pool left for file
 * writes (the log) and DNS: hashes beyond it would wait in libuv's own queue, outside this one's fairness.
 * 16 waiting per core in all, and at most a quarter of them (running ones included) per address and per user.
 */
export function defaultQueueLimits(cores = availableParallelism(), pool = threadPoolSize()): HashQueueLimits {
  const maxQueued = 16 * cores;
  const concurrency = Math.max(1, Math.min(cores + HASHES_OVER_CORES, pool - 1));
  const share = Math.max(2, Math.floor(maxQueued / 4));
  return { concurrency, maxQueued, perAddress: share, perUser: share };
}

/** libuv's thread pool size: UV_THREADPOOL_SIZE as libuv reads it (1 to 1024), else its default of 4. */
function threadPoolSize(): number {
  const size = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? "", 10);
  return Number.isNaN(size) ? 4 : Math.min(Math.max(size, 1), 1024);
}

/**
 * Hashes running beyond one per core. With exactly one per core, a core stood idle from each hash's end until
 * the event loop had taken the result and started the next (on 2 cores, logins ran at 0.77–0.79 of raw
 * verifications at the same concurrency); one more keeps every core hashing through that hand-over, and costs
 * one more hash's memory (19 MiB by default) while the server is saturated.
 */
const HASHES_OVER_CORES = 1;

/** Pad hashes kept at most (one per set of old parameters met). */
const MAX_PADS = 16;

/** The queue key of work not done for a client (the CLI's hashes, rehashing): never refused. */
const INTERNAL = Symbol("internal");

const ARGON2ID = 2; // Algorithm.Argon2id: a const enum, which isolated modules cannot import.

/** A well-formed PHC argon2 string: its parameters (up to the salt), then salt and hash in base64. */
const PHC = /^(\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
/** Parameter sets kept parsed: a database holds few, but a client must not make the map grow. */
const MAX_PARSED = 16;
const parsed = new Map<string, Options>();

/**
 * The argon2 parameters of a stored hash as parseOptions reads them, throwing alike: the key holds the
 * parameters and the salt's and output's lengths, so a hash parseOptions would refuse is never answered from
 * another's entry. Every user hashed with one
 * set of parameters shares it, so a well-formed hash is parsed once per set: the native call cost a login
 * ~50 µs of the event loop, twice.
 */
function optionsOf(stored: string): Options {
  const match = PHC.exec(stored);
  if (match === null) return parseOptions(stored);
  // The lengths are in the key: a damaged hash (a salt or output cut short) must be parsed, and refused, itself.
  const prefix = `${match[1]}$${match[2]!.length}$${match[3]!.length}`;
  let options = parsed.get(prefix);
  if (!options) {
    options = parseOptions(stored);
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
    parsed.set(prefix, options);
  }
  return options;
}

/**
 * Hashes and verifies passwords with argon2id; both run on libuv's thread pool, never on the event loop.
 * At most one hash per core runs at a time, and one more (HASHES_OVER_CORES): more cannot finish sooner, but
 * each holds its own `m` KiB of memory (19 MiB by default) and competes with the event loop for the cores. Work for a client waits in a
 * bounded queue, fair between addresses (see FairQueue); past it, a HashQueueFull says so at once.
 */
export class PasswordHasher {
  /** A hash of a random password at today's parameters, verified for unknown users so they cost the same. */
  private dummy: Promise<string> | undefined;
  /** Pad hashes by the old parameters they make up for (see padFor). */
  private readonly pads = new Map<string, Promise<string>>();
  readonly queue: FairQueue;

  /** Told the time (seconds) of each verification on the thread pool, for the metrics. */
  onVerified: ((seconds: number) => void) | undefined;

  constructor(
    readonly params: HashParams = OWASP_MINIMUM,
    limits: HashQueueLimits = defaultQueueLimits(),
  ) {
    // Internal work shares the cores but is never refused: it is bounded by whoever asked for it.
    this.queue = new FairQueue(limits);
  }

  /** Hashes a password; `from` is the client it is done for (bounded), none for the operator's own work. */
  hash(password: string, from?: HashClient | string): Promise<string> {
    return this.slot(from, () => hash(password, { ...this.params, algorithm: ARGON2ID }));
  }

  /**
   * True when `password` matches; false for a mismatch, a hash this hasher cannot read, or a password over
   * MAX_PASSWORD_BYTES (refused unhashed). Throws HashQueueFull when `from` may not queue more.
   *
   * A mismatch against a stored hash cheaper than today's parameters (made before `--argon2` was raised) goes on,
   * in the same slot, to verify a pad hash that costs the difference: the answer takes as long as today's
   * parameters take, so a wrong password cannot tell an old account from an unknown one.
   */
  async verify(stored: string, password: string, from?: HashClient | string): Promise<boolean> {
    if (isOverlong(password)) return false;
    const pad = from === undefined ? undefined : await this.padFor(stored);
    return this.slot(from, async () => {
      const matched = await this.timedVerify(stored, password);
      if (!matched && pad !== undefined) await this.timedVerify(pad, password);
      return matched;
    });
  }

  private async timedVerify(stored: string, password: string): Promise<boolean> {
    const started = performance.now();
    try {
      return await verify(stored, password);
    } catch {
      return false;
    } finally {
      this.onVerified?.((performance.now() - started) / 1000);
    }
  }

  /** Spends the same work as a real verification, for a user who does not exist. */
  async verifyDummy(password: string, from?: HashClient | string): Promise<void> {
    await this.verify(await this.prepareDummy(), password, from);
  }

  /**
   * The pad hash for a stored hash cheaper than today's parameters: today's passes over the memory that makes up
   * the difference (argon2's time grows with memory × passes), made once per set of old parameters. The dummy
   * itself for a hash this hasher cannot read (its verification fails at once); none for today's or dearer.
   */
  private padFor(stored: string): Promise<string> | undefined {
    let own: number;
    let key: string;
    try {
      const o = optionsOf(stored);
      own = (o.memoryCost ?? 0) * (o.timeCost ?? 0);
      key = `${o.memoryCost},${o.timeCost}`;
    } catch {
      return this.prepareDummy();
    }
    const { memoryCost, timeCost, parallelism } = this.params;
    if (own >= memoryCost * timeCost) return undefined;
    let pad = this.pads.get(key);
    if (!pad) {
      const params = { memoryCost: Math.max(8 * parallelism, Math.round((memoryCost * timeCost - own) / timeCost)), timeCost, parallelism };
      pad = this.queue.runInternal(INTERNAL, () => hash(crypto.randomUUID(), { ...params, algorithm: ARGON2ID }));
      // Bounded: a database holds few sets of old parameters, but a client must not make it grow.
      if (this.pads.size >= MAX_PADS) this.pads.delete(this.pads.keys().next().value!);
      this.pads.set(key, pad);
    }
    return pad;
  }

  private slot<T>(from: HashClient | string | undefined, job: () => Promise<T>): Promise<T> {
    return from === undefined ? this.queue.runInternal(INTERNAL, job) : this.queue.run(from, job);
  }

  /** Makes the dummy hash now (a server calls it before listening), so the first unknown user costs no more. */
  prepareDummy(): Promise<string> {
    this.dummy ??= this.hash(crypto.randomUUID());
    return this.dummy;
  }

  /** True when a stored hash was made with other parameters (or another algorithm) than today's. */
  needsRehash(stored: string): boolean {
    try {
      const o = optionsOf(stored);
      return (
        o.algorithm !== ARGON2ID || o.memoryCost !== this.params.memoryCost || o.timeCost !== this.params.timeCost || o.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }
}
