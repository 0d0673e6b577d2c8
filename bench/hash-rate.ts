// Child process: the physical limit of a login. Keeps `concurrency` raw @node-rs/argon2 verifications of a
// correct password in flight for `seconds` (as a login does: async, on libuv's thread pool) and prints
// the verifications completed per second, as JSON (HashRate).
import { hash, verify } from "@node-rs/argon2";
import type { HashParams } from "../src/auth/password-hasher.ts";

/** What the parent asks for. */
export interface HashRateInput {
  params: HashParams;
  concurrency: number;
  seconds: number;
}

/** Verifications completed within the window, and the CPU time (all threads) this process spent on them. */
export interface HashRate {
  verifies: number;
  seconds: number;
  perSecond: number;
  cpuSeconds: number;
}

const input = JSON.parse(process.argv[2]!) as HashRateInput;
const password = "bench-Correct-horse-77";
const stored = await hash(password, { ...input.params, algorithm: 2 /* Argon2id */ });
await Promise.all(Array.from({ length: input.concurrency }, () => verify(stored, password))); // warm the thread pool

let verifies = 0;
const cpu = process.cpuUsage();
const started = performance.now();
const deadline = started + input.seconds * 1000;
// Like autocannon, count only what completes inside the window.
const lane = async () => {
  while (performance.now() < deadline) {
    if (!(await verify(stored, password))) throw new Error("verification failed");
    if (performance.now() <= deadline) verifies++;
  }
};
await Promise.all(Array.from({ length: input.concurrency }, lane));
const used = process.cpuUsage(cpu);
const result: HashRate = { verifies, seconds: input.seconds, perSecond: verifies / input.seconds, cpuSeconds: (used.user + used.system) / 1e6 };
process.stdout.write(JSON.stringify(result) + "\n");
