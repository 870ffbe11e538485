// Runs the traffic stats contract on DuckDB (a fresh temp file, its rollups folded when the contract
// says) and, when CLICKHOUSE_URL points at a
// server, on ClickHouse in a database of its own that is dropped afterwards.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { runStatsContract } from './stats-contract.js';

// The fold waits for the contract to ask (an hour's delay), so half the data stays past the
// watermark; the rollups are sorted by value however few their rows, as a big store's are.
await runStatsContract(
  'duckdb',
  async () =>
    new DuckDbAnalyticsStore(join(mkdtempSync(join(tmpdir(), 'delivr-stats-')), 'analytics.duckdb'), {
      statsFoldDelayMs: 3_600_000,
      statsSortMinRows: 0,
    }),
  { fold: (s) => (s as DuckDbAnalyticsStore).foldStats(), settle: (s) => (s as DuckDbAnalyticsStore).settleStats() },
);

const serverUrl = process.env.CLICKHOUSE_URL;
const database = `delivr_stats_${Date.now()}_${randomBytes(4).toString('hex')}`;
if (!serverUrl) console.log('[stats contract] clickhouse: skipped, set CLICKHOUSE_URL (see scripts/clickhouse-start.sh)');
await runStatsContract(
  'clickhouse',
  async () => {
    if (!serverUrl) return null;
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return new ClickHouseAnalyticsStore(url.toString());
  },
  {
    fold: (s) => (s as ClickHouseAnalyticsStore).foldStats().then(() => undefined),
    settle: (s) => (s as ClickHouseAnalyticsStore).settleStats(),
  },
);

afterAll(async () => {
  if (!serverUrl) return;
  const url = new URL(serverUrl);
  url.pathname = '/';
  const admin = createClient({ url: url.toString() });
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  } finally {
    await admin.close();
  }
});
