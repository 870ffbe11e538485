// The analytics engines a suite runs on: DuckDB always, ClickHouse too when CLICKHOUSE_URL is set
// (in a database of its own, dropped by the returned cleanup).
import { randomUUID } from 'node:crypto';

export type Backend = [name: string, env: Record<string, string>, cleanup: (() => Promise<void>) | undefined];

export function analyticsBackends(suite: string): Backend[] {
  const backends: Backend[] = [['duckdb', {}, undefined]];
  const chUrl = process.env.CLICKHOUSE_URL;
  if (!chUrl) {
    console.log(`${suite}: CLICKHOUSE_URL is not set; running on DuckDB only`);
    return backends;
  }
  const db = `delivr_${suite.replace(/\W/g, '_')}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const url = new URL(chUrl);
  url.pathname = `/${db}`;
  backends.push([
    'clickhouse',
    { CLICKHOUSE_URL: url.toString() },
    async () => {
      await fetch(`${url.origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${db}`)}`, { method: 'POST' });
    },
  ]);
  return backends;
}
