import { availableParallelism } from "node:os";
import { hash, parseOptions, verify } from "@node-rs/argon2";
import pLimit from "p-limit";

/** argon2id cost parameters. */
export interface HashParams {
  /** KiB of memory. */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
export const OWASP_MINIMUM: HashParams = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Parses "m=19456,t=2,p=1" (memory KiB, passes, lanes), the notation of argon2's PHC strings. */
export function parseHashParams(text: string): HashParams {
  const fields = Object.fromEntries(text.split(",").map((kv) => kv.trim().split("=") as [string, string]));
  const num = (k: string) => {
    const n = Number(fields[k]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`expected m=<KiB>,t=<passes>,p=<lanes>, not "${text}"`);
    return n;
  };
  const params = { memoryCost: num("m"), timeCost: num("t"), parallelism: num("p") };
  if (params.memoryCost < 8 * params.parallelism) throw new Error("argon2 needs at least 8 KiB of memory per lane");
  return params;
}

const ARGON2ID = 2; // Algorithm.Argon2id: a const enum, which isolated modules cannot import.

/**
 * Hashes and verifies passwords with argon2id; both run on libuv's thread pool, never on the event loop.
 * At most one hash per core runs at a time: more cannot finish sooner, but each holds its own `m` KiB of
 * memory (19 MiB by default) and competes with the event loop for the cores.
 */
export class PasswordHasher {
  /** A hash of a random password at today's parameters, verified for unknown users so they cost the same. */
  private dummy: Promise<string> | undefined;
  private readonly slots = pLimit(availableParallelism());

  /** Told the time (seconds) of each verification on the thread pool, for the metrics. */
  onVerified: ((seconds: number) => void) | undefined;

  constructor(readonly params: HashParams = OWASP_MINIMUM) {}

  /** Hashes and verifications running now, and waiting for a slot. */
  queue(): { active: number; pending: number } {
    return { active: this.slots.activeCount, pending: this.slots.pendingCount };
  }

  hash(password: string): Promise<string> {
    return this.slots(() => hash(password, { ...this.params, algorithm: ARGON2ID }));
  }

  /** True when `password` matches; false for a mismatch or a hash this hasher cannot read. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await this.slots(async () => {
        const started = performance.now();
        try {
          return await verify(stored, password);
        } finally {
          this.onVerified?.((performance.now() - started) / 1000);
        }
      });
    } catch {
      return false;
    }
  }

  /** Spends the same work as a real verification, for a user who does not exist. */
  async verifyDummy(password: string): Promise<void> {
    await this.verify(await this.prepareDummy(), password);
  }

  /** Makes the dummy hash now (a server calls it before listening), so the first unknown user costs no more. */
  prepareDummy(): Promise<string> {
    this.dummy ??= this.hash(crypto.randomUUID());
    return this.dummy;
  }

  /** True when a stored hash was made with other parameters (or another algorithm) than today's. */
  needsRehash(stored: string): boolean {
    try {
      const o = parseOptions(stored);
      return (
        o.algorithm !== ARGON2ID ||
        o.memoryCost !== this.params.memoryCost ||
        o.timeCost !== this.params.timeCost ||
        o.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }
}
