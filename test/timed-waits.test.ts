import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Tests wait on events (an answer, a log line, a process's exit, a database write, a promise the code exposes),
// never on the clock: a fixed sleep is either too short on a loaded machine (a flaky failure) or long enough to
// hide the bug it waits for. Each pattern is built from pieces so that this file does not match itself.

/** What a timed wait looks like in the tests, the scripts they use and CI's entry point. */
const TIMED: [name: string, pattern: RegExp][] = [
  ["a timer", new RegExp(`\\bset${"Timeout"}\\s*\\(|\\bset${"Interval"}\\s*\\(`, "g")],
  ["timers/promises", new RegExp(`timers/${"promises"}`, "g")],
  ["a polling wait", new RegExp(`\\bvi\\.wait${"For"}\\s*\\(|\\bwait${"Until"}\\s*\\(`, "g")],
  ["a blocking sleep", new RegExp(`Atomics\\.${"wait"}\\b|^\\s*${"sleep"}\\s+\\d`, "gm")],
];

/**
 * The waits with no event to wait on, each with its reason (none today). Counted exactly: another one in the
 * same file fails too.
 */
const ALLOWED: { file: string; what: string; count: number; why: string }[] = [];

const SELF = "test/timed-waits.test.ts";

/** Every file that tests run: the tests and their helpers, the scripts, CI's entry point. */
function scanned(): string[] {
  const under = (dir: string) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => /\.(ts|js|mjs)$/.test(f))
      .map((f) => join(dir, f));
  return [...under("test"), ...under("scripts"), ".ci/run"].filter((f) => f !== SELF);
}

describe("no timed waits in the tests", () => {
  it("finds none but the few with no event to wait on, each with its reason", () => {
    const found: { file: string; what: string; count: number }[] = [];
    for (const file of scanned()) {
      const text = readFileSync(file, "utf8");
      for (const [what, pattern] of TIMED) {
        const count = text.match(pattern)?.length ?? 0;
        if (count > 0) found.push({ file, what, count });
      }
    }
    expect(found.sort((a, b) => a.file.localeCompare(b.file))).toEqual(ALLOWED.map(({ file, what, count }) => ({ file, what, count })));
  });

  it("recognizes each kind of timed wait", () => {
    const samples = [
      `await new Promise((r) => set${"Timeout"}(r, 200));`,
      `import { set${"Timeout"} } from "node:timers/${"promises"}";`,
      `await vi.wait${"For"}(() => expect(x).toBe(1), { interval: 20 });`,
      `${"sleep"} 2`,
    ];
    for (const sample of samples)
      expect(
        TIMED.some(([, pattern]) => new RegExp(pattern.source, pattern.flags).test(sample)),
        sample,
      ).toBe(true);
  });
});
