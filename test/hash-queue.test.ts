import { describe, expect, it } from "vitest";
import { FairQueue, HashQueueFull } from "../src/auth/hash-queue.ts";
import { defaultQueueLimits, PasswordHasher } from "../src/auth/password-hasher.ts";
import { TEST_HASH } from "./helpers/harness.ts";

/** A job that finishes when the test says so, noting when it started (in `order`, and as `started`). */
function gate(order: string[], name: string) {
  let open!: () => void;
  let start!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  const started = new Promise<void>((resolve) => (start = resolve));
  return { job: () => (order.push(name), start(), done), open, started };
}

describe("the hash queue", () => {
  it.each([
    [2, 4, 3],
    [1, 4, 2],
    [8, 4, 3],
    [8, 16, 9],
    [4, 1, 1],
  ])("runs one argon2 per core and one more (%i cores), leaving libuv's pool (%i threads) a thread: %i", (cores, pool, concurrency) => {
    expect(defaultQueueLimits(cores, pool)).toMatchObject({ concurrency, maxQueued: 16 * cores });
  });

  it("serves addresses round-robin: a job from a new address waits for one flood job, not for the whole flood", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 100, perAddress: 10 });
    const order: string[] = [];
    const gates = Array.from({ length: 6 }, (_, i) => gate(order, `flood${i}`));
    const flood = gates.map((g) => queue.run("192.0.2.1", g.job));
    const user = gate(order, "user");
    const real = queue.run("198.51.100.1", user.job);
    const all = [...gates, user];
    for (const [i, g] of gates.slice(0, 2).entries()) {
      g.open();
      // The queue has started its next job, whichever it is (the order says which).
      await Promise.race(all.slice(i + 1).map((x) => x.started));
    }
    user.open();
    for (const g of gates.slice(2)) g.open();
    await Promise.all([...flood, real]);
    expect(order.slice(0, 3)).toEqual(["flood0", "flood1", "user"]);
  });

  it("refuses past an address's share (no wait); a full queue makes room by refusing the heaviest client's newest job", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 3, perAddress: 2, shareWaitMs: 0 });
    const order: string[] = [];
    const g = [gate(order, "a"), gate(order, "b"), gate(order, "c"), gate(order, "d"), gate(order, "e")];
    const a = queue.run("192.0.2.1", g[0]!.job);
    const b = queue.run("192.0.2.1", g[1]!.job);
    await expect(queue.run("192.0.2.1", async () => 0)).rejects.toMatchObject({ scope: "address" });
    const c = queue.run("192.0.2.2", g[2]!.job);
    const d = queue.run("192.0.2.3", g[3]!.job);
    // Full (a running; b, c, d waiting): 192.0.2.1 holds two, a newcomer would hold one: b gives way.
    const e = queue.run("192.0.2.4", g[4]!.job);
    await expect(b).rejects.toMatchObject({ name: "HashQueueFull", scope: "address" });
    // Now everyone holds one: the queue is truly full.
    const full = await queue.run("192.0.2.5", async () => 0).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(HashQueueFull);
    expect((full as HashQueueFull).scope).toBe("server");
    for (const x of g) x.open();
    await Promise.all([a, c, d, e]);
    expect(order).toEqual(["a", "c", "d", "e"]);
    // Once served, the address may queue again.
    await expect(queue.run("192.0.2.1", async () => 1)).resolves.toBe(1);
  });

  it("lets a job over its share wait for it, behind the jobs already waiting, and refuses it once the wait is over", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 10, perAddress: 1, shareWaitMs: 60_000 });
    const order: string[] = [];
    const [a, b, c] = [gate(order, "a"), gate(order, "b"), gate(order, "c")];
    const first = queue.run("192.0.2.1", a.job);
    const other = queue.run("198.51.100.1", c.job);
    // Over its share: it waits for "a" to end, then queues behind "c", which was waiting already.
    const second = queue.run("192.0.2.1", b.job);
    a.open();
    c.open();
    b.open();
    await Promise.all([first, second, other]);
    expect(order).toEqual(["a", "c", "b"]);

    const short = new FairQueue({ concurrency: 1, maxQueued: 10, perAddress: 1, shareWaitMs: 20 });
    const held = gate(order, "held");
    const running = short.run("192.0.2.1", held.job);
    await expect(short.run("192.0.2.1", async () => 0)).rejects.toMatchObject({ name: "HashQueueFull", scope: "address" });
    held.open();
    await running;
  });

  it("holds one user to a share across addresses, and gives a user's flood way to another user", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 4, perAddress: 4, perUser: 3, shareWaitMs: 0 });
    const order: string[] = [];
    const flood = Array.from({ length: 4 }, (_, i) => gate(order, `flood${i}`));
    const running = flood.slice(0, 3).map((g, i) => queue.run({ address: `192.0.2.${i + 1}`, user: "user\u0000\u0000a@example.com" }, g.job));
    // A fourth address cannot add a fourth job for the same user.
    await expect(queue.run({ address: "192.0.2.9", user: "user\u0000\u0000a@example.com" }, flood[3]!.job)).rejects.toMatchObject({ scope: "user" });
    const other = gate(order, "other");
    const real = queue.run({ address: "198.51.100.1", user: "user\u0000\u0000b@example.com" }, other.job);
    for (const g of [...flood, other]) g.open();
    await Promise.all([...running, real]);
    expect(order).toContain("other");
  });

  it("refuses a user's job to make room when that user holds the most", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 2, perAddress: 4, perUser: 4 });
    const order: string[] = [];
    const g = Array.from({ length: 4 }, (_, i) => gate(order, `u${i}`));
    const user = "user\u0000\u0000a@example.com";
    const jobs = g.slice(0, 3).map((x, i) => queue.run({ address: `192.0.2.${i + 1}`, user }, x.job));
    // Full (one running, two waiting, all one user's, from three addresses): another user's job takes the newest's place.
    const real = queue.run({ address: "198.51.100.1", user: "user\u0000\u0000b@example.com" }, g[3]!.job);
    await expect(jobs[2]).rejects.toMatchObject({ scope: "user" });
    for (const x of g) x.open();
    await Promise.all([jobs[0], jobs[1], real]);
    expect(order).toEqual(["u0", "u1", "u3"]);
  });

  it("refuses a password over 1024 bytes as wrong without hashing it", async () => {
    const hasher = new PasswordHasher(TEST_HASH, { concurrency: 1, maxQueued: 0, perAddress: 0, shareWaitMs: 0 });
    const stored = await hasher.hash("x".repeat(1024));
    // Internal work (no address) is never refused; a client's job would be (perAddress 0), but this one never queues.
    expect(await hasher.verify(stored, "x".repeat(1025), "192.0.2.1")).toBe(false);
    await expect(hasher.verify(stored, "x".repeat(1024), "192.0.2.1")).rejects.toBeInstanceOf(HashQueueFull);
    expect(await hasher.verify(stored, "x".repeat(1024))).toBe(true);
  });

  it("pads a wrong password against a hash cheaper than today's parameters with a second verification, in the same slot", async () => {
    const today = { memoryCost: 2048, timeCost: 2, parallelism: 1 };
    const hasher = new PasswordHasher(today, { concurrency: 1, maxQueued: 0, perAddress: 1 });
    const old = await new PasswordHasher(TEST_HASH).hash("the-Right-password-1");
    const current = await hasher.hash("the-Right-password-1");
    const verifications: number[] = [];
    hasher.onVerified = (seconds) => verifications.push(seconds);
    // A client's wrong guess at an old hash costs a pad verification as well, in one slot (perAddress 1).
    expect(await hasher.verify(old, "a-wrong-guess", "192.0.2.1")).toBe(false);
    expect(verifications).toHaveLength(2);
    // The right password, today's hash, and the operator's own work cost one.
    expect(await hasher.verify(old, "the-Right-password-1", "192.0.2.1")).toBe(true);
    expect(await hasher.verify(current, "a-wrong-guess", "192.0.2.1")).toBe(false);
    expect(await hasher.verify(old, "a-wrong-guess")).toBe(false);
    expect(verifications).toHaveLength(5);
  });
});

describe("stored hashes read once per set of parameters", () => {
  it("still finds a damaged hash unreadable after a sound one with the same parameters was read", async () => {
    const hasher = new PasswordHasher(TEST_HASH);
    const sound = await hasher.hash("the-Right-password-1");
    expect(hasher.needsRehash(sound)).toBe(false);
    const [, , version, params, salt, output] = sound.split("$");
    const damaged = ["", "argon2id", version, params, salt!.slice(0, 4), output!.slice(0, 4)].join("$");
    // Unreadable, so rehashed on the next good login and padded like an unknown user, not answered at once.
    expect(hasher.needsRehash(damaged)).toBe(true);
    expect(await hasher.verify(damaged, "the-Right-password-1", "192.0.2.7")).toBe(false);
  });
});
