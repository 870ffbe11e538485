// What the DuckDB stats rollups have to prove beyond the shared contract (stats.contract.test.ts,
// which asks with half the data folded): an append only appends (nothing is folded on the
// acknowledgement path, and the answer is exact anyway), a restart folds what the last process left,
// and a file from before the ingest sequence is counted in full.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { EVENT_FIELDS, type EventRow } from '../../src/analytics/types.js';
import { eventRow } from '../support/events.js';

const T0 = Date.UTC(2026, 2, 5, 10);
const open: DuckDbAnalyticsStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const tempPath = (): string => join(mkdtempSync(join(tmpdir(), 'delivr-duckdb-stats-')), 'analytics.duckdb');

async function openStore(path: string, statsFoldDelayMs = 3_600_000): Promise<DuckDbAnalyticsStore> {
  const store = new DuckDbAnalyticsStore(path, { statsFoldDelayMs });
  open.push(store);
  await store.init();
  return store;
}

async function closeStore(store: DuckDbAnalyticsStore): Promise<void> {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

/** Reads the stats tables of a closed file. */
async function inspect(path: string): Promise<{ visits: number; watermark: number; maxSeq: number }> {
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  const one = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
  try {
    return {
      visits: await one('SELECT count(*) FROM stats_visits'),
      watermark: await one(`SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM stats_meta WHERE name = 'watermark'`),
      maxSeq: await one('SELECT coalesce(max(ingest_seq), 0) FROM events'),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function visit(org: string, pixel: string, session: string, visitor: string, at: number, paths: string[]): EventRow[] {
  return paths.map((path, i) =>
    eventRow({
      event_id: `${session}-${at}-${i}`,
      ts_millis: at + i * 60_000,
      organization_id: org,
      project_id: 'project',
      pixel_id: pixel,
      visitor_id: visitor,
      session_id: session,
      url: `https://acme.example${path}`,
      path,
      referrer: i === 0 ? 'https://www.google.com/' : 'https://acme.example/',
      browser: 'Firefox',
      os: 'Linux',
      device_type: 'desktop',
      country: 'DE',
    }),
  );
}

describe('DuckDB stats rollups', () => {
  const org = randomUUID();
  const pixel = randomUUID();
  const scope = { organizationId: org, pixelIds: [pixel], startMs: T0 - 3_600_000, endMs: T0 + 86_400_000 };

  it('appends without folding, counts what is not folded yet, and folds at the next start', async () => {
    const path = tempPath();
    const store = await openStore(path);
    // The fold every start runs (of nothing here) is over before the appends.
    await new Promise((r) => setTimeout(r, 200));
    await store.appendEvents(visit(org, pixel, 's1', 'v1', T0, ['/', '/pricing']));
    await store.appendEvents(visit(org, pixel, 's2', 'v2', T0 + 1000, ['/docs']));
    // The second half of visit s1 arrives later, in a batch of its own.
    await store.appendEvents(visit(org, pixel, 's1', 'v1', T0 + 600_000, ['/signup']));
    expect(await store.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 4, bounces: 1 });
    const pages = await store.statsBreakdown(scope, { property: 'exit_page', limit: 10, offset: 0 });
    expect(pages.rows.map((r) => [r.value, r.totals.visits])).toEqual([
      ['/docs', 1],
      ['/signup', 1],
    ]);
    await closeStore(store);
    // Nothing was folded on the way: the acknowledgement path only appended.
    expect(await inspect(path)).toEqual({ visits: 0, watermark: 0, maxSeq: 3 });

    // The next process folds what is there as it starts (its fold delay of an hour notwithstanding);
    // closing waits for a fold under way.
    const again = await openStore(path);
    await new Promise((r) => setTimeout(r, 300));
    expect(await again.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 4, bounces: 1 });
    await closeStore(again);
    expect(await inspect(path)).toEqual({ visits: 2, watermark: 3, maxSeq: 3 });
  });

  it('folds by itself within the fold delay, visits spanning two folds counted once', async () => {
    const path = tempPath();
    const store = await openStore(path, 50);
    await store.appendEvents(visit(org, pixel, 'a', 'v1', T0, ['/', '/pricing']));
    await new Promise((r) => setTimeout(r, 400));
    await store.appendEvents(visit(org, pixel, 'a', 'v1', T0 + 600_000, ['/docs']));
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.statsTotals(scope)).toMatchObject({ visitors: 1, visits: 1, pageviews: 3, events: 3 });
    await closeStore(store);
    expect(await inspect(path)).toEqual({ visits: 1, watermark: 2, maxSeq: 2 });
  });

  it('counts the events of a file from before the ingest sequence', async () => {
    const path = tempPath();
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const sqlType = { Utf8: 'VARCHAR', Int64: 'BIGINT', Int32: 'INTEGER', Boolean: 'BOOLEAN' } as const;
    await conn.run(`CREATE TABLE events (${EVENT_FIELDS.map((f) => `"${f.name}" ${sqlType[f.data_type]}`).join(', ')})`);
    for (const row of [...visit(org, pixel, 'old1', 'v1', T0, ['/', '/a']), ...visit(org, pixel, 'old2', 'v2', T0 + 5000, ['/b'])]) {
      const values = EVENT_FIELDS.map((f) => {
        const v = row[f.name as keyof EventRow];
        return v === null ? 'NULL' : typeof v === 'string' ? `'${v.replaceAll("'", "''")}'` : String(v);
      });
      await conn.run(`INSERT INTO events VALUES (${values.join(', ')})`);
    }
    conn.closeSync();
    instance.closeSync();

    const store = await openStore(path);
    expect(await store.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 3 });
    await store.appendEvents(visit(org, pixel, 'old1', 'v1', T0 + 120_000, ['/c']));
    expect(await store.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 4, bounces: 1 });
  });
});
