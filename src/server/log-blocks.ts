import type { DestinationStream } from "pino";

/** What LogBlocks writes to: pino's asynchronous destination (sonic-boom). */
export interface BlockSink {
  write(text: string): unknown;
  flush(callback?: (error?: Error) => void): void;
  flushSync(): void;
}

/**
 * Gathers log lines into blocks of `minLength` characters (or what `maxWaitMs` brings) before they reach the
 * asynchronous destination. sonic-boom's write() measures the UTF-8 length of the whole block it is filling
 * on every line, which V8 first has to copy into one flat string: under load, while a write is in flight, that
 * block grows to 16 KiB, and each access line cost a copy and a scan of it (about a third of a server_settings
 * answer). Here a line costs an array push; sonic-boom sees one write per block. Nothing is held back from an
 * exit: lines still gathered go to the destination, and it writes them synchronously, before pino's own exit
 * flush runs.
 */
export class LogBlocks implements DestinationStream {
  private lines: string[] = [];
  private length = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: BlockSink,
    private readonly minLength: number,
    private readonly maxWaitMs: number,
  ) {
    watchExit();
    live.add(new WeakRef(this));
  }

  write(line: string): void {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= this.minLength) this.handOver();
    else this.timer ??= setTimeout(() => this.handOver(), this.maxWaitMs).unref();
  }

  /** Hands the gathered lines on, then lets the destination write them (pino's logger.flush() calls this). */
  flush(callback?: (error?: Error) => void): void {
    this.handOver();
    this.sink.flush(callback);
  }

  /** Writes everything gathered and queued, synchronously. */
  flushSync(): void {
    this.handOver();
    this.sink.flushSync();
  }

  /** Hands the gathered lines on (the process is about to exit, or the block is full or old enough). */
  handOver(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.lines.length === 0) return;
    const block = this.lines.length === 1 ? this.lines[0]! : this.lines.join("");
    this.lines = [];
    this.length = 0;
    this.sink.write(block);
  }
}

/** Every LogBlocks not yet collected: one pair of process listeners serves them all. */
const live = new Set<WeakRef<LogBlocks>>();
let watching = false;

/**
 * Registers the exit handlers once. Prepended: pino's own handlers end the destination on these events, after
 * which it takes nothing more.
 */
function watchExit(): void {
  if (watching) return;
  watching = true;
  const each = (action: (blocks: LogBlocks) => void) => {
    for (const ref of live) {
      const blocks = ref.deref();
      if (!blocks) {
        live.delete(ref);
        continue;
      }
      try {
        action(blocks);
      } catch {
        // A log that cannot be written (a closed pipe) must not turn an exit into a crash.
      }
    }
  };
  process.prependListener("exit", () => each((b) => b.flushSync()));
  process.prependListener("beforeExit", () => each((b) => b.handOver()));
}
