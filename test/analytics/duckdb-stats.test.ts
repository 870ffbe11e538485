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

async function openStore(path: string, statsFoldDelayMs = 3_600_000, statsSortMinRows?: number): Promise<DuckDbAnalyticsStore> {
  const store = new DuckDbAnalyticsStore(path, { statsFoldDelayMs, ...(statsSortMinRows === undefined ? {} : { statsSortMinRows }) });
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
    // Nothing was folded on the way: the acknowledgement path only appended (in one to three
    // batches: the journal may move appends that arrive together in one).
    const appended = await inspect(path);
    expect(appended).toMatchObject({ visits: 0, watermark: 0 });
    expect(appended.maxSeq).toBeGreaterThan(0);

    // The next process folds what is there as it starts (its fold delay of an hour notwithstanding;
    // a fold of four events is over well within two seconds, and closing would interrupt one).
    const again = await openStore(path);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await again.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 4, bounces: 1 });
    await closeStore(again);
    expect(await inspect(path)).toEqual({ visits: 2, watermark: appended.maxSeq, maxSeq: appended.maxSeq });
  });

  it('closing interrupts a fold under way, and the next start folds those events', async () => {
    const path = tempPath();
    const store = await openStore(path);
    await new Promise((r) => setTimeout(r, 200));
    const rows = Array.from({ length: 400 }, (_, i) => visit(org, pixel, `big${i}`, `v${i % 97}`, T0 + i * 1000, ['/', '/a', '/b'])).flat();
    for (let i = 0; i < 50; i++) await store.appendEvents(rows.map((r) => ({ ...r, event_id: `${r.event_id}-${i}` })));
    const folding = store.foldStats().catch(() => 'interrupted');
    await new Promise((r) => setTimeout(r, 20));
    await closeStore(store);
    await folding;
    const left = await inspect(path);
    expect(left.maxSeq).toBeGreaterThan(0);
    // Folded whole or not at all, never half.
    expect([0, left.maxSeq]).toContain(left.watermark);
    expect(left.visits).toBe(left.watermark === 0 ? 0 : 400);
    const again = await openStore(path);
    await again.foldStats();
    expect(await again.statsTotals(scope)).toMatchObject({ visits: 400, pageviews: 60_000 });
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

  it('sorts the visit and value rows when the data reaches a new week; a clicked row reads the same before and after, past the watermark too', async () => {
    const path = tempPath();
    // Sorted however few the rows (a real store waits for two row groups' worth).
    const sorted = await openStore(path, 3_600_000, 0);
    // The same events never folded: every answer grouped from the raw events.
    const raw = await openStore(tempPath());
    const day = 86_400_000;
    const paths = ['/', '/a', '/b', '/a/deep'];
    const batch = (from: number, to: number, tag: string) =>
      Array.from({ length: (to - from) * 6 }, (_, i) => {
        const at = T0 + from * day + i * (day / 6) + (i % 5) * 1000;
        const rows = visit(org, pixel, `${tag}${i}`, `v${i % 7}`, at, [paths[i % 4] as string, paths[(i + 1) % 4] as string]);
        return i % 3 === 0 ? rows.map((r) => ({ ...r, referrer: 'https://www.bing.com/', country: 'FR' })) : rows;
      }).flat();
    const ask = async (store: DuckDbAnalyticsStore) => {
      const q = { ...scope, endMs: T0 + 12 * day };
      const out: unknown[] = [];
      for (const filter of [
        [[{ property: 'page' as const, op: 'eq' as const, value: '/a' }]],
        [[{ property: 'source' as const, op: 'eq' as const, value: 'Bing' }]],
        [
          [
            { property: 'page' as const, op: 'eq' as const, value: '/b' },
            { property: 'country' as const, op: 'eq' as const, value: 'DE' },
          ],
        ],
      ]) {
        out.push(await store.statsTotals({ ...q, filter, identified: true }));
        for (const property of ['page', 'source', 'country', 'entry_page'] as const)
          out.push(await store.statsBreakdown({ ...q, filter }, { property, limit: 100, offset: 0 }));
      }
      return out;
    };
    const first = batch(0, 5, 'w');
    await sorted.appendEvents(first);
    await raw.appendEvents(first);
    await sorted.foldStats();
    expect(await ask(sorted)).toEqual(await ask(raw));
    // A later week, and later events of visits already folded (a new exit page), past the watermark.
    const later = [
      ...batch(5, 11, 'x'),
      ...first.slice(0, 40).map((r) => ({ ...r, event_id: `${r.event_id}-late`, ts_millis: r.ts_millis + 600_000 })),
    ];
    await sorted.appendEvents(later);
    await raw.appendEvents(later);
    const answers = await ask(raw);
    expect((answers[2] as { rows: unknown[] }).rows.length).toBeGreaterThan(1);
    expect(await ask(sorted)).toEqual(answers);
    await sorted.foldStats();
    expect(await ask(sorted)).toEqual(answers);
    await closeStore(sorted);
    // Sorted again for the new week: the week of the latest folded day.
    const instance = await DuckDBInstance.create(path);
    const conn = await instance.connect();
    const week = (await conn.runAndReadAll(`SELECT value FROM stats_meta WHERE name = 'sorted_week'`)).getRows()[0]?.[0];
    const latest = (await conn.runAndReadAll('SELECT max(vday) FROM stats_visit_values')).getRows()[0]?.[0];
    conn.closeSync();
    instance.closeSync();
    expect(Number(week)).toBe(Math.floor(Number(latest) / 7));
    expect(Math.floor(Number(latest) / 7)).toBeGreaterThan(Math.floor((T0 + 4 * day) / day / 7));
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
