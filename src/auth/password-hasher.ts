import { availableParallelism } from "node:os";
import { hash, parseOptions, verify } from "@node-rs/argon2";
import pLimit from "p-limit";

import { OWASP_MINIMUM, type HashParams } from "./hash-params.ts";

export { OWASP_MINIMUM, parseHashParams, type HashParams } from "./hash-params.ts";

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

  constructor(readonly params: HashParams = OWASP_MINIMUM) {}

  hash(password: string): Promise<string> {
    return this.slots(() => hash(password, { ...this.params, algorithm: ARGON2ID }));
  }

  /** True when `password` matches; false for a mismatch or a hash this hasher cannot read. */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await this.slots(() => verify(stored, password));
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
