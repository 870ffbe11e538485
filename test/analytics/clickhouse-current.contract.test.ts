// Runs the shared analytics and stats contracts on a current ClickHouse release (the engine chdb embeds, 26.x)
// through the client's connection hook, so the adapter is known to work beyond Debian's 18.16.
// chdb is about 550 MB, so it is not a dependency: `.ci/run` installs it (`npm install --no-save
// chdb`) and sets CHDB_REQUIRED=1, which turns a missing package into a failure instead of a skip.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { loadChdb } from '../support/chdb.js';
import { runAnalyticsContract } from './contract.js';
import { runStatsContract } from './stats-contract.js';

const chdb = await loadChdb();
const required = process.env.CHDB_REQUIRED === '1';
const dataDir = mkdtempSync(join(tmpdir(), 'delivr-chdb-'));

describe('current ClickHouse through chdb', () => {
  it.runIf(required)('is installed (CHDB_REQUIRED=1)', () => {
    expect(chdb, 'npm install --no-save chdb').not.toBeNull();
  });

  it.runIf(chdb !== null)('is a current release, not the 18.16 the other contract run uses', async () => {
    const client = createClient({ url: 'http://chdb.invalid', connection: chdb?.createChdbConnection({ path: dataDir }) });
    try {
      const rows = await (await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
      const major = Number((rows[0]?.v ?? '0').split('.')[0]);
      console.log(`[analytics contract] clickhouse-current: engine ${rows[0]?.v}`);
      expect(major).toBeGreaterThanOrEqual(24);
    } finally {
      await client.close();
    }
  });
});

if (!chdb) console.log('[analytics contract] clickhouse-current: skipped, chdb is not installed (npm install --no-save chdb)');

/** A store on the embedded engine, in a database of its own inside the one data folder. */
const currentStore = async (database: string): Promise<ClickHouseAnalyticsStore | null> =>
  chdb
    ? new ClickHouseAnalyticsStore({ url: `http://chdb.invalid/${database}`, connection: chdb.createChdbConnection({ path: dataDir }) })
    : null;

await runAnalyticsContract('clickhouse (current, chdb)', () => currentStore('delivr_contract'));
await runStatsContract('clickhouse (current, chdb)', () => currentStore('delivr_stats'), {
  fold: (s) => (s as ClickHouseAnalyticsStore).foldStats().then(() => undefined),
  settle: (s) => (s as ClickHouseAnalyticsStore).settleStats(),
});

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
