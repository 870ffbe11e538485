// Per-key access log, aggregated: one row per key, method, path, status and minute, with how many
// requests it stands for, its latest time and client address. A busy key used to cost one catalog
// row per request (at thousands of requests a second, SQLite inserts on the event loop); now it
// costs a few rows a minute. Requests are added up in memory and written every second (or at 500
// distinct rows), merging into the minute's row a previous write or another process left
// (AccessLogsStore.appendAccessLogs); readers call flush() first to see their own latest requests.
// last_used_at is updated in the same batch.

import type { Logger } from 'pino';
import type { AccessLog, AccessLogsStore, ApiKeysStore } from './store.js';

/** One request, as the data surface reports it. */
export type AccessLogRequest = Omit<AccessLog, 'id' | 'count' | 'minute'>;
type Row = Omit<AccessLog, 'id'>;

const WRITE_SLICE = 100;
const MINUTE_MS = 60_000;

export class AccessLogBuffer {
  private pending = new Map<string, Row>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly stores: { accessLogs: AccessLogsStore; apiKeys: ApiKeysStore },
    private readonly log: Logger,
    private readonly maxDelayMs = 1000,
    private readonly maxEntries = 500,
  ) {}

  add(request: AccessLogRequest): void {
    const minute = Math.floor(request.ts / MINUTE_MS);
    const group = `${request.key_id}\n${minute}\n${request.status}\n${request.method}\n${request.path}`;
    const row = this.pending.get(group);
    if (row) {
      row.count += 1;
      if (request.ts >= row.ts) {
        row.ts = request.ts;
        row.ip = request.ip;
      }
      return;
    }
    this.pending.set(group, { ...request, minute, count: 1 });
    if (this.pending.size >= this.maxEntries) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), this.maxDelayMs);
  }

  /** Writes everything added so far; resolves when it is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = [...this.pending.values()];
    this.pending = new Map();
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
