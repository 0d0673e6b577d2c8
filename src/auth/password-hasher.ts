import { hash, parseOptions, verify } from "@node-rs/argon2";

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

/** Hashes and verifies passwords with argon2id; both run on libuv's thread pool, never on the event loop. */
export class PasswordHasher {
  /** A hash of a random password at today's parameters, verified for unknown users so they cost the same. */
  private dummy: Promise<string> | undefined;

  constructor(readonly params: HashParams = OWASP_MINIMUM) {}

  hash(password: string): Promise<string> {
    return hash(password, { ...this.params, algorithm: ARGON2ID });
  }

  /** True when `password` matches; false for a mismatch or a hash this hasher cannot read. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password);
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
