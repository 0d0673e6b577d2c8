import type { Logger } from "pino";
import type { NewLoginAttempt } from "./schema.ts";
import type { Store } from "./store.ts";

/**
 * Where the login routes hand their audit rows; `record` never waits and never throws. A row marked
 * `collapse` (a refusal before password checking) is added to its address's row for that outcome and minute.
 */
export interface AuditSink {
  record(attempt: NewLoginAttempt, options?: { collapse?: boolean }): void;
}

/** Collapsed refusals share one row per organization, endpoint, address and outcome within this window. */
export const AUDIT_COLLAPSE_WINDOW_MS = 60_000;
/** Collapsed rows open at once; past it the oldest is closed early (an attack from that many addresses). */
const MAX_OPEN_GROUPS = 10_000;

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
  /** Collapsed rows still counting, by window, organization, endpoint, address and outcome; oldest first. */
  private readonly open = new Map<string, { window: number; row: NewLoginAttempt & { count: number } }>();
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
    this.timers.push(setInterval(() => void this.tick(), this.flushIntervalMs).unref());
    this.timers.push(setInterval(() => void this.prune(), HOUR_MS).unref());
    void this.prune();
  }

  record(attempt: NewLoginAttempt, options: { collapse?: boolean } = {}): void {
    if (options.collapse) this.collapse(attempt);
    else this.push(attempt);
  }

  /** Adds a refusal to its address's open row for this window, opening one when there is none. */
  private collapse(attempt: NewLoginAttempt): void {
    const window = Math.floor(Date.parse(attempt.time) / AUDIT_COLLAPSE_WINDOW_MS);
    const key = JSON.stringify([window, attempt.organization, attempt.endpoint, attempt.ip, attempt.outcome]);
    const group = this.open.get(key);
    if (!group) {
      if (this.open.size >= MAX_OPEN_GROUPS) this.closeGroup(this.open.keys().next().value!);
      this.open.set(key, { window, row: { ...attempt, count: 1 } });
      return;
    }
    const row = group.row;
    row.count += 1;
    row.last_time = attempt.time;
    // What differs between the attempts is not kept: "*" says so.
    if (row.username !== attempt.username) row.username = "*";
    if (row.user_id !== attempt.user_id) row.user_id = null;
    if (row.client !== attempt.client) row.client = "*";
  }

  /** Moves an open collapsed row to the write buffer. */
  private closeGroup(key: string): void {
    const group = this.open.get(key)!;
    this.open.delete(key);
    this.push(group.row);
  }

  /** The timer's turn: closes the collapsed rows whose window has ended, then writes. */
  private tick(now = Date.now()): Promise<void> {
    const current = Math.floor(now / AUDIT_COLLAPSE_WINDOW_MS);
    for (const [key, group] of this.open) if (group.window < current) this.closeGroup(key);
    return this.flush(false);
  }

  private push(attempt: NewLoginAttempt): void {
    if (this.buffer.length >= this.maxBuffered) {
      this.dropped++;
      return;
    }
    // Every row of a batch names the same columns: one multi-row INSERT cannot mix values and defaults on SQLite.
    this.buffer.push({ count: 1, last_time: null, ...attempt });
    if (this.buffer.length >= this.batchSize && !this.failing) void this.flush(false);
  }

  /** Rows waiting to be written (collapsed rows still counting included). */
  get pending(): number {
    return this.buffer.length + this.open.size;
  }

  /**
   * Writes every waiting row, one batch at a time, and (unless `closeOpen` is false) the collapsed rows still
   * counting; resolves (never rejects) when done or when a write fails.
   */
  flush(closeOpen = true): Promise<void> {
    if (closeOpen) for (const key of [...this.open.keys()]) this.closeGroup(key);
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
