// Prometheus metrics (prom-client), one registry per app so several apps in one test process do not
// share counters. Ingest outcomes are counted by reason, so bots and unknown pixels are visible.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { JournalStats } from '../analytics/types.js';

// biome-ignore format: a table, one metric a line (name, labels or buckets, help)
export class Metrics {
  readonly registry = new Registry();
  readonly ingestEvents = this.counter('delivr_ingest_events_total', ['outcome'], 'Events received by the collect endpoints, by outcome (accepted, rejected, bot, duplicate, ignored for a privacy signal)');
  readonly ingestRejected = this.counter('delivr_ingest_rejected_total', ['reason'], 'Rejected events by reason (unknown_pixel, invalid, too_large, ...)');
  readonly commitSeconds = this.histogram('delivr_ingest_commit_seconds', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], 'Duration of one group commit to the analytics store');
  readonly commitRows = this.histogram('delivr_ingest_commit_rows', [1, 10, 50, 100, 500, 1000, 5000, 10000], 'Rows per group commit');
  readonly queryableLagSeconds = this.histogram('delivr_ingest_event_to_queryable_seconds', [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], 'Time from an event reaching the server to it being committed and queryable');
  readonly retentionDeleted = this.counter('delivr_retention_events_deleted_total', [], 'Events deleted because they were older than their project keeps (retention_days)');
  readonly retentionPasses = this.counter('delivr_retention_passes_total', ['outcome'], 'Retention passes run by this process, by outcome (completed, incomplete, failed)');
  readonly ingestRateLimited = this.counter('delivr_ingest_rate_limited_total', ['limit'], 'Events refused with 429 by the ingest rate limits, by limit (pixel, source)');
  readonly analyticsQueries = this.counter('delivr_analytics_queries_total', ['outcome'], 'Events queries by outcome (ok, timeout, cancelled, refused, shutdown, error)');
  readonly analyticsQuerySeconds = this.histogram('delivr_analytics_query_seconds', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], 'Duration of events queries, waiting for their turn included');
  readonly backgroundFailures = this.counter('delivr_analytics_background_failures_total', ['task'], 'Background work of the analytics store that failed and will be retried (stats fold, stats sort, stats day rollups build)');
  readonly storageFull = new Gauge({ name: 'delivr_storage_full', help: '1 while the last write failed for lack of storage space (until a write succeeds again)', registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The DuckDB ingest journal, read from the store at each scrape: how much is acknowledged and not
   * yet in DuckDB (it grows while a checkpoint holds DuckDB, and keeps growing if moves fail).
   */
  watchJournal(read: () => Promise<JournalStats | null>): void {
    // One read per scrape, shared by the gauges.
    let pending: Promise<JournalStats | null> | null = null;
    const stats = (): Promise<JournalStats | null> => {
      pending ??= read()
        .catch(() => null)
        .finally(() => setImmediate(() => (pending = null)));
      return pending;
    };
    const gauge = (name: string, help: string, pick: (s: JournalStats) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          const s = await stats();
          if (s) this.set(pick(s));
        },
      });
    };
    gauge('delivr_ingest_journal_pending_bytes', 'DuckDB: bytes of acknowledged events in the ingest journal, not yet moved into DuckDB', (s) => s.pendingBytes);
    gauge('delivr_ingest_journal_segments', 'DuckDB: ingest journal files waiting to be moved into DuckDB', (s) => s.segments);
    gauge('delivr_ingest_journal_last_move_seconds', 'DuckDB: how long the last move of the ingest journal into DuckDB took', (s) => s.lastMoveMs / 1000);
    gauge('delivr_ingest_journal_failed_moves', 'DuckDB: moves of the ingest journal that failed in a row (0 once one succeeds)', (s) => s.failedMoves);
  }

  private counter<L extends string>(name: string, labelNames: readonly L[], help: string): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram(name: string, buckets: number[], help: string): Histogram {
    return new Histogram({ name, help, buckets, registers: [this.registry] });
  }
}
