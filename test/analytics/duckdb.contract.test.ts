// Runs the shared analytics contract on the embedded DuckDB store, in a fresh temp directory.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { runAnalyticsContract } from './contract.js';

await runAnalyticsContract('duckdb', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'delivr-duckdb-contract-'));
  return new DuckDbAnalyticsStore(join(dir, 'analytics.duckdb'));
});
