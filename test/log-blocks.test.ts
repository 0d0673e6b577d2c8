import { describe, expect, it, vi } from "vitest";
import { LogBlocks } from "../src/server/log-blocks.ts";

/** A destination that records what it is given and how it is flushed. */
function fakeSink() {
  const sink = {
    writes: [] as string[],
    flushes: 0,
    syncFlushes: 0,
    write(text: string) {
      sink.writes.push(text);
    },
    flush(callback?: (error?: Error) => void) {
      sink.flushes += 1;
      callback?.();
    },
    flushSync() {
      sink.syncFlushes += 1;
    },
  };
  return sink;
}

describe("log lines gathered into blocks", () => {
  it("hands lines on as one block once they reach the block size, in order", () => {
    const sink = fakeSink();
    const blocks = new LogBlocks(sink, 30, 60_000);
    blocks.write("first line 1234\n");
    expect(sink.writes).toEqual([]);
    blocks.write("second line 123\n");
    expect(sink.writes).toEqual(["first line 1234\nsecond line 123\n"]);
    blocks.write("third\n");
    blocks.flushSync();
    expect(sink.writes).toEqual(["first line 1234\nsecond line 123\n", "third\n"]);
    expect(sink.syncFlushes).toBe(1);
  });

  it("hands a short block on after the longest wait, not before", () => {
    // The clock is the test's: the wait is stepped through, not slept.
    vi.useFakeTimers();
    try {
      const sink = fakeSink();
      const blocks = new LogBlocks(sink, 1 << 20, 20);
      blocks.write("a\n");
      vi.advanceTimersByTime(10);
      blocks.write("b\n");
      vi.advanceTimersByTime(9);
      expect(sink.writes).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(sink.writes).toEqual(["a\nb\n"]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("flush() hands everything on and waits for the destination", async () => {
    const sink = fakeSink();
    const blocks = new LogBlocks(sink, 1 << 20, 60_000);
    blocks.write("listening\n");
    await new Promise<void>((resolve) => blocks.flush(() => resolve()));
    expect(sink.writes).toEqual(["listening\n"]);
    expect(sink.flushes).toBe(1);
  });
});
