// Per-key access log. Entries are buffered and written in batches (every second or 500 entries) so
// a data-API request never waits on a catalog write; readers call flush() first to see their own
// latest requests. last_used_at is updated in the same batch.

import type { Logger } from 'pino';
import type { AccessLog, AccessLogsStore, ApiKeysStore } from './store.js';

type Entry = Omit<AccessLog, 'id'>;

const WRITE_SLICE = 100;

export class AccessLogBuffer {
  private pending: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stores: { accessLogs: AccessLogsStore; apiKeys: ApiKeysStore },
    private readonly log: Logger,
    private readonly maxDelayMs = 1000,
    private readonly maxEntries = 500,
  ) {}

  add(entry: Entry): void {
    this.pending.push(entry);
    if (this.pending.length >= this.maxEntries) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.maxDelayMs);
  }

  /** Writes everything added so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        // On SQLite a write blocks the event loop while it runs: write in slices and let requests in
        // between, so a full batch costs a few short pauses instead of one long one.
        for (let i = 0; i < batch.length; i += WRITE_SLICE) {
          if (i > 0) await new Promise((resolve) => setImmediate(resolve));
          await this.stores.accessLogs.appendAccessLogs(batch.slice(i, i + WRITE_SLICE));
        }
        const latest = Math.max(...batch.map((e) => e.ts));
        await this.stores.apiKeys.touchApiKeys([...new Set(batch.map((e) => e.key_id))], latest);
      } catch (err) {
        this.log.error({ err, entries: batch.length }, 'access log write failed');
      }
    });
    return this.flushing;
  }
}
