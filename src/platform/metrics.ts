// Prometheus metrics (prom-client), one registry per app so several apps in one test process do not
// share counters. Ingest outcomes are counted by reason, so bots and unknown pixels are visible.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly ingestEvents = new Counter({
    name: 'delivr_ingest_events_total',
    help: 'Events received by the collect endpoints, by outcome (accepted, rejected, bot, duplicate, ignored for a privacy signal)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly ingestRejected = new Counter({
    name: 'delivr_ingest_rejected_total',
    help: 'Rejected events by reason (unknown_pixel, invalid, too_large, ...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'delivr_ingest_commit_seconds',
    help: 'Duration of one group commit to the analytics store',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly commitRows = new Histogram({
    name: 'delivr_ingest_commit_rows',
    help: 'Rows per group commit',
    buckets: [1, 10, 50, 100, 500, 1000, 5000, 10000],
    registers: [this.registry],
  });
  readonly queryableLagSeconds = new Histogram({
    name: 'delivr_ingest_event_to_queryable_seconds',
    help: 'Time from an event reaching the server to it being committed and queryable',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly retentionDeleted = new Counter({
    name: 'delivr_retention_events_deleted_total',
    help: 'Events deleted because they were older than their project keeps (retention_days)',
    registers: [this.registry],
  });
  readonly retentionPasses = new Counter({
    name: 'delivr_retention_passes_total',
    help: 'Retention passes run by this process, by outcome (completed, incomplete, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly ingestRateLimited = new Counter({
    name: 'delivr_ingest_rate_limited_total',
    help: 'Events refused with 429 by the ingest rate limits, by limit (pixel, source)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly analyticsQueries = new Counter({
    name: 'delivr_analytics_queries_total',
    help: 'Events queries by outcome (ok, timeout, cancelled, refused, shutdown, error)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly analyticsQuerySeconds = new Histogram({
    name: 'delivr_analytics_query_seconds',
    help: 'Duration of events queries, waiting for their turn included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly storageFull = new Gauge({
    name: 'delivr_storage_full',
    help: '1 while the last write failed for lack of storage space (until a write succeeds again)',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
