// Group commit for ingest: many concurrent requests each hand over a few events, and one
// transaction (one WAL fsync, one ClickHouse insert) carries them all. A caller's promise settles
// only when the flush holding its rows has committed, so "acknowledged" keeps meaning "durable"
// while the store sees a few large writes instead of thousands of tiny ones.

import { settleInTurns } from '../platform/turns.js';
import type { AnalyticsStore, EventRow } from './types.js';

export interface GroupCommitOptions {
  /**
   * Longest a row waits for company before its flush starts. 0 is adaptive batching: a row that
   * finds the store idle is flushed as soon as the current I/O callbacks are done (so requests
   * that arrived together still share one commit), and rows that arrive while a flush runs wait
   * for it and then go together: batches grow with the load instead of with a timer.
   */
  maxDelayMs?: number;
  /** A flush starts at once when this many rows wait; a flush takes at most this many (whole submissions). */
  maxRows?: number;
  /** Submissions beyond this many waiting rows are refused, so a stalled store cannot exhaust memory. */
  maxPendingRows?: number;
  /**
   * Flushes under way at once (default 1). With 2, the next batch is already on its way while the
   * store syncs the previous one, so the store's writes follow each other without waiting for this
   * thread to hear back: for a store that acknowledges from a journal, whose order does not matter.
   */
  maxInFlight?: number;
  /** Called after every successful flush, e.g. to feed a latency histogram. */
  onFlush?: (rows: number, ms: number) => void;
}

export interface GroupCommitStats {
  flushes: number;
  rows: number;
  failedFlushes: number;
  lastFlushMs: number;
  pendingRows: number;
}

/** Thrown by `submit` when more than `maxPendingRows` rows are waiting; the edge answers 503. */
export class GroupCommitOverloadedError extends Error {
  constructor(pending: number) {
    super(`ingest buffer is full (${pending} rows waiting for the analytics store)`);
    this.name = 'GroupCommitOverloadedError';
  }
}

interface Submission {
  rows: readonly EventRow[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

type AppendTarget = Pick<AnalyticsStore, 'appendEvents'>;

export class GroupCommitter {
  private readonly maxDelayMs: number;
  private readonly maxRows: number;
  private readonly maxPendingRows: number;
  private readonly onFlush: ((rows: number, ms: number) => void) | undefined;
  private queue: Submission[] = [];
  private queuedRows = 0;
  private timer: { timeout: NodeJS.Timeout } | { immediate: NodeJS.Immediate } | null = null;
  /** Set when the oldest waiting row has waited maxDelayMs; the next flush starts as soon as it can. */
  private due = false;
  private readonly maxInFlight: number;
  private readonly flushing = new Set<Promise<void>>();
  private closing = false;
  private readonly counters = { flushes: 0, rows: 0, failedFlushes: 0, lastFlushMs: 0 };

  constructor(
    private readonly store: AppendTarget,
    options: GroupCommitOptions = {},
  ) {
    this.maxDelayMs = options.maxDelayMs ?? 5;
    this.maxRows = options.maxRows ?? 5000;
    this.maxPendingRows = options.maxPendingRows ?? 200_000;
    this.onFlush = options.onFlush;
    this.maxInFlight = options.maxInFlight ?? 1;
    if (!(this.maxDelayMs >= 0) || !(this.maxRows >= 1) || !(this.maxInFlight >= 1)) {
      throw new RangeError('maxDelayMs must be >= 0, maxRows and maxInFlight >= 1');
    }
  }

  /** Resolves when `rows` are committed; rejects if the flush holding them failed. */
  submit(rows: readonly EventRow[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('group committer is closed'));
    if (rows.length === 0) return Promise.resolve();
    if (this.queuedRows > 0 && this.queuedRows + rows.length > this.maxPendingRows) {
      return Promise.reject(new GroupCommitOverloadedError(this.queuedRows));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.queuedRows += rows.length;
      if (this.queuedRows >= this.maxRows) {
        this.due = true;
        this.kick();
      } else if (!this.timer && !this.due) {
        this.startDelay();
      }
    });
  }

  stats(): GroupCommitStats {
    return { ...this.counters, pendingRows: this.queuedRows };
  }

  /** Refuses new rows, flushes everything waiting and resolves once it is committed or failed. */
  async close(): Promise<void> {
    this.closing = true;
    this.due = true;
    this.kick();
    while (this.flushing.size > 0) await Promise.allSettled([...this.flushing]);
  }

  private kick(): void {
    if (this.flushing.size >= this.maxInFlight || !this.due || this.queue.length === 0) return;
    if (this.timer) {
      if ('timeout' in this.timer) clearTimeout(this.timer.timeout);
      else clearImmediate(this.timer.immediate);
      this.timer = null;
    }
    const batch = this.takeBatch();
    const flushing: Promise<void> = this.flush(batch).finally(() => {
      this.flushing.delete(flushing);
      // Rows that arrived during the flush: go now if they already waited long enough (or are many),
      // otherwise start their own delay.
      this.due = this.closing || this.queuedRows >= this.maxRows || this.due;
      if (this.due) this.kick();
      else if (this.queue.length > 0 && !this.timer) this.startDelay();
    });
    this.flushing.add(flushing);
    // Rows left over (more than maxRows were due) may take another free flush.
    if (this.due) this.kick();
  }

  /** The wait before waiting rows are due: maxDelayMs, or (adaptive) the end of this I/O phase. */
  private startDelay(): void {
    const due = (): void => {
      this.timer = null;
      this.due = true;
      this.kick();
    };
    this.timer = this.maxDelayMs === 0 ? { immediate: setImmediate(due) } : { timeout: setTimeout(due, this.maxDelayMs) };
  }

  /** Whole submissions in arrival order, up to maxRows (at least one, however large). */
  private takeBatch(): Submission[] {
    let rows = 0;
    let n = 0;
    while (n < this.queue.length) {
      const size = (this.queue[n] as Submission).rows.length;
      if (n > 0 && rows + size > this.maxRows) break;
      rows += size;
      n += 1;
    }
    const batch = this.queue.splice(0, n);
    this.queuedRows -= rows;
    // What is left was waiting alongside rows that were due, or did not fit: it is due too.
    this.due = this.queue.length > 0 && this.due;
    return batch;
  }

  private async flush(batch: Submission[]): Promise<void> {
    const rows = batch.length === 1 ? (batch[0] as Submission).rows : batch.flatMap((s) => s.rows);
    const started = performance.now();
    try {
      await this.store.appendEvents(rows);
      this.record(rows.length, performance.now() - started);
      // A few hundred callers answer their requests next: a few dozen per turn of the loop.
      settleInTurns(batch, (s) => s.resolve());
      return;
    } catch (err) {
      this.counters.failedFlushes += 1;
      if (batch.length === 1) {
        (batch[0] as Submission).reject(err);
        return;
      }
    }
    // The store rolled the whole batch back. Retrying each submission alone keeps one caller's bad
    // row from failing everyone else's; a store that is down simply fails each of them.
    for (const s of batch) {
      const retryStarted = performance.now();
      try {
        await this.store.appendEvents(s.rows);
        this.record(s.rows.length, performance.now() - retryStarted);
        s.resolve();
      } catch (err) {
        this.counters.failedFlushes += 1;
        s.reject(err);
      }
    }
  }

  private record(rows: number, ms: number): void {
    this.counters.flushes += 1;
    this.counters.rows += rows;
    this.counters.lastFlushMs = ms;
    try {
      this.onFlush?.(rows, ms);
    } catch {
      // A metrics hook must never turn a committed flush into a failed (and retried) one.
    }
  }
}
