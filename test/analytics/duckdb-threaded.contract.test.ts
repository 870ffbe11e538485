// Runs the shared analytics contract on the DuckDB store behind its own thread (what the server
// uses): every call crosses the thread boundary, so what structured cloning loses would show here.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ThreadedDuckDbStore } from '../../src/analytics/duckdb-threaded.js';
import { runAnalyticsContract } from './contract.js';

await runAnalyticsContract('duckdb (own thread)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'delivr-duckdb-threaded-contract-'));
  return new ThreadedDuckDbStore(join(dir, 'analytics.duckdb'));
});
