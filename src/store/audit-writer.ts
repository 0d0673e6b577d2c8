import type { Logger } from "pino";
import type { NewLoginAttempt } from "./schema.ts";
import type { Store } from "./store.ts";

/** Where the login routes hand their audit rows; `record` never waits and never throws. */
export interface AuditSink {
  record(attempt: NewLoginAttempt): void;
}

/** How the audit trail is written and kept. */
export interface AuditWriterOptions {
  logger: Logger;
  /** Rows older than this many days are deleted, at start and every hour. */
  retentionDays: number;
  /** A batch is written at least this often… */
  flushIntervalMs?: number;
  /** …or as soon as this many rows wait. */
  batchSize?: number;
  /** Rows kept in memory while the database does not answer; beyond it new rows are dropped (and counted). */
  maxBuffered?: number;
}

/** The default number of days the audit trail is kept. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Writes the audit trail in batches, off the request's path: a login only appends to a bounded buffer, and a
 * timer (or a full batch) writes the rows in one statement. A failed write keeps the rows for the next try and
 * is logged; it never reaches a request. `close` writes what is left.
 */
export class AuditWriter implements AuditSink {
  private buffer: NewLoginAttempt[] = [];
  private flushing: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private dropped = 0;
  private failing = false;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly store: Store,
    private readonly options: AuditWriterOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = options.maxBuffered ?? 50_000;
  }

  /** Starts the flush timer and the retention's hourly prune (pruning once now). */
  start(): void {
    this.timers.push(setInterval(() => void this.flush(), this.flushIntervalMs).unref());
    this.timers.push(setInterval(() => void this.prune(), HOUR_MS).unref());
    void this.prune();
  }

  record(attempt: NewLoginAttempt): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    this.buffer.push(attempt);
    if (this.buffer.length >= this.batchSize && !this.failing) void this.flush();
  }

  /** Rows waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Writes every waiting row, one batch at a time; resolves (never rejects) when done or when a write fails. */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Deletes rows older than the retention; a failure is logged and retried at the next hour. */
  async prune(now = Date.now()): Promise<number> {
    try {
      const deleted = await this.store.pruneLoginAttempts(new Date(now - this.options.retentionDays * DAY_MS).toISOString());
      if (deleted > 0) this.options.logger.info({ deleted, retentionDays: this.options.retentionDays }, "pruned the audit trail");
      return deleted;
    } catch (error) {
      this.options.logger.warn({ err: error }, "could not prune the audit trail");
      return 0;
    }
  }

  /** Stops the timers and writes what is left (once more if a write was in flight). */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.flushing;
    await this.flush();
    if (this.buffer.length > 0) this.options.logger.error({ lost: this.buffer.length }, "audit rows could not be written before stopping");
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        await this.store.recordLoginAttempts(batch);
      } catch (error) {
        // Keep the rows (the oldest first) for the next tick; the bound above caps what a long outage holds.
        this.buffer.unshift(...batch);
        const excess = this.buffer.length - this.maxBuffered;
        if (excess > 0) {
          this.buffer.length = this.maxBuffered;
          this.dropped += excess;
        }
        if (!this.failing) this.options.logger.error({ err: error, waiting: this.buffer.length }, "could not write the audit trail: rows wait in memory");
        this.failing = true;
        return;
      }
      if (this.failing) this.options.logger.info({ written: batch.length }, "the audit trail is written again");
      this.failing = false;
      if (this.dropped > 0) {
        this.options.logger.error({ dropped: this.dropped }, "audit rows were dropped: the buffer was full while the database did not answer");
        this.dropped = 0;
      }
    }
  }
}
