// Runs the shared analytics contract on ClickHouse when CLICKHOUSE_URL points at a server
// (scripts/clickhouse-start.sh starts one). Each run gets its own database, dropped afterwards, so
// runs never see each other's rows; the database named in the URL is only used for its server.

import { randomBytes } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { afterAll } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { runAnalyticsContract } from './contract.js';

const serverUrl = process.env.CLICKHOUSE_URL;
const database = `delivr_contract_${Date.now()}_${randomBytes(4).toString('hex')}`;

function urlFor(db: string): string {
  const url = new URL(serverUrl ?? '');
  url.pathname = `/${db}`;
  return url.toString();
}

if (!serverUrl) console.log('[analytics contract] clickhouse: skipped, set CLICKHOUSE_URL (see scripts/clickhouse-start.sh)');

await runAnalyticsContract('clickhouse', async () => (serverUrl ? new ClickHouseAnalyticsStore(urlFor(database)) : null));

afterAll(async () => {
  if (!serverUrl) return;
  const url = new URL(serverUrl);
  url.pathname = '/';
  const admin = createClient({ url: url.toString() });
  try {
    // The name is generated above from digits, letters and underscores only.
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  } finally {
    await admin.close();
  }
});
