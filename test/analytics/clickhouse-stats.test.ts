// What the ClickHouse stats rollups have to prove beyond the shared contract: an events table from
// before them (no views yet) is counted in full once a process creates the views, a second
// process opening the same database neither fills them again nor breaks ingest, attribute
// values survive the one String the rollup joins them into, the fold's copies are what reads
// take while their days stand, and are left the moment a day changes, and the day rollups (per
// window of 64 local days in the project's zone) count a period's visitors from their masks, across
// the middle of a window, and leave a day a late event reached to the visits until they are rebuilt.
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { sqlRowKey } from '../../src/analytics/clickhouse-sql.js';
import { FOLD_TABLES_VERSION } from '../../src/analytics/clickhouse-stats.js';
import { DAY_TABLES_VERSION, pixelZoneKey } from '../../src/analytics/clickhouse-stats-days.js';
import type { StatsScope } from '../../src/analytics/stats.js';
import type { EventRow } from '../../src/analytics/types.js';
import { DAY_MS, HOUR_MS, offsetPieces, startOfLocalDay } from '../../src/platform/time-zone.js';
import { eventRow } from '../support/events.js';

const serverUrl = process.env.CLICKHOUSE_URL;
if (!serverUrl) console.log('[clickhouse stats] skipped, set CLICKHOUSE_URL (see scripts/clickhouse-start.sh)');
const database = `delivr_ch_stats_${randomBytes(6).toString('hex')}`;
const urlFor = (): string => {
  const url = new URL(serverUrl ?? 'http://localhost');
  url.pathname = `/${database}`;
  return url.toString();
};

const T0 = Date.UTC(2026, 2, 5, 10);
const org = randomUUID();
const pixel = randomUUID();
const visit = (session: string, visitor: string, day: number, paths: string[]): EventRow[] =>
  paths.map((path, i) =>
    eventRow({
      ts_millis: T0 + day * 86_400_000 + i * 60_000,
      organization_id: org,
      project_id: 'project',
      pixel_id: pixel,
      visitor_id: visitor,
      session_id: session,
      path,
      url: `https://acme.example${path}`,
    }),
  );
const scope = { organizationId: org, pixelIds: [pixel], startMs: T0 - 3_600_000, endMs: T0 + 5 * 86_400_000 };
/** A day rollup table of the current layout. */
const dayTable = (name: string): string => `\`${database}\`.\`events_stats_${name}_v2d${DAY_TABLES_VERSION}\``;
/** A table of the fold's copies (or their record) of the current layout. */
const foldTable = (name: string): string => `\`${database}\`.\`events_stats_${name}_v2f${FOLD_TABLES_VERSION}\``;

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

describe.skipIf(!serverUrl)('ClickHouse stats rollups', () => {
  it('count the events stored before the views existed, once, and then every insert', async () => {
    const first = new ClickHouseAnalyticsStore(urlFor());
    await first.init();
    // As a file from before the stats: the rollups and their views are not there yet.
    const admin = createClient({ url: new URL('/', serverUrl).toString() });
    const tables = await (
      await admin.query({
        query: `SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE '%stats%'`,
        format: 'JSONEachRow',
      })
    ).json<{ name: string }>();
    // Views first, so nothing feeds a table being dropped.
    for (const { name } of [...tables].sort((a, b) => Number(b.name.includes('view')) - Number(a.name.includes('view')))) {
      await admin.command({ query: `DROP TABLE \`${database}\`.\`${name}\`` });
    }
    await admin.close();
    await first.appendEvents([...visit('s1', 'v1', 0, ['/', '/pricing']), ...visit('s2', 'v2', 2, ['/docs'])]);
    await first.close();

    const second = new ClickHouseAnalyticsStore(urlFor());
    await second.init();
    expect(await second.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 3 });
    // Another process starting finds the views made and fills nothing again.
    const third = new ClickHouseAnalyticsStore(urlFor());
    await third.init();
    await third.appendEvents(visit('s3', 'v1', 3, ['/signup']));
    expect(await third.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 3, pageviews: 4 });
    const pages = await second.statsBreakdown(scope, { property: 'page', limit: 10, offset: 0 });
    expect(pages.rows.map((r) => [r.value, r.totals.pageviews])).toEqual([
      ['/', 1],
      ['/docs', 1],
      ['/pricing', 1],
      ['/signup', 1],
    ]);
    await second.close();
    await third.close();
  }, 120_000);

  it('fold completed days into copies that reads take while the day is unchanged, and merge a day an event reached since', async () => {
    const store = new ClickHouseAnalyticsStore(urlFor());
    await store.init();
    const own = randomUUID();
    const mine = (rows: EventRow[]): EventRow[] => rows.map((r) => ({ ...r, pixel_id: own }));
    const late = mine(visit('f1', 'w1', 0, ['/', '/a', '/b']));
    const [lateEvent] = late.splice(1, 1);
    if (!lateEvent) throw new Error('a visit has events');
    await store.appendEvents([...late, ...mine(visit('f2', 'w2', 1, ['/c'])), ...mine(visit('f3', 'w1', 1, ['/d', '/e']))]);
    const q = { ...scope, pixelIds: [own] };
    expect(await store.foldStats()).toBe(2);
    expect(await store.foldStats()).toBe(0);
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 2, visits: 3, pageviews: 5 });

    // A visit that only the copy of day 0 holds: a read that counts it read the copy.
    const admin = createClient({ url: new URL('/', serverUrl).toString() });
    const latestGen = async (): Promise<string | undefined> => {
      const [row] = await (
        await admin.query({
          query: `SELECT toString(max(gen)) AS gen FROM ${foldTable('folds')} WHERE pixel_id = '${own}' AND vday = ${Math.floor(T0 / 86_400_000)}`,
          format: 'JSONEachRow',
        })
      ).json<{ gen: string }>();
      return row?.gen;
    };
    const gen = await latestGen();
    await admin.command({
      query:
        `INSERT INTO ${foldTable('folded_visits')} (fkey, organization_id, pixel_id, session_id, vday, v_start, v_end, v_visitor, v_events, v_pageviews, v_interactions, gen) ` +
        `VALUES (${sqlRowKey(org, own)}, '${org}', '${own}', 'copy-only', ${Math.floor(T0 / 86_400_000)}, ${T0}, ${T0}, 'w9', 1, 1, 1, ${gen})`,
    });
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 3, visits: 4, pageviews: 6 });

    // An event of day 0 arriving after the fold: day 0 is merged from the rollups again (exact,
    // without the copy's row), and copied again (the read queued it; foldStats runs after that).
    await store.appendEvents([lateEvent]);
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 2, visits: 3, pageviews: 6 });
    const pages = (await store.statsBreakdown(q, { property: 'page', limit: 10, offset: 0 })).rows.map((r) => [
      r.value,
      r.totals.pageviews,
    ]);
    expect(pages).toEqual([
      ['/', 1],
      ['/a', 1],
      ['/b', 1],
      ['/c', 1],
      ['/d', 1],
      ['/e', 1],
    ]);
    await store.foldStats();
    expect(BigInt((await latestGen()) ?? 0)).toBeGreaterThan(BigInt(gen ?? 0));
    await admin.close();
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 2, visits: 3, pageviews: 6 });
    expect(
      (await store.statsBreakdown(q, { property: 'page', limit: 10, offset: 0 })).rows.map((r) => [r.value, r.totals.pageviews]),
    ).toEqual(pages);
    await store.close();
  }, 120_000);

  it("read each pixel day's own generation when one fold's copy of another pixel's day was superseded", async () => {
    const store = new ClickHouseAnalyticsStore(urlFor());
    await store.init();
    const [a, b] = [randomUUID(), randomUUID()];
    const on = (p: string, rows: EventRow[]): EventRow[] => rows.map((r) => ({ ...r, pixel_id: p }));
    const onB = on(b, visit('g2', 'u2', 0, ['/b1', '/b2', '/b3']));
    const [lateEvent] = onB.splice(1, 1);
    if (!lateEvent) throw new Error('a visit has events');
    await store.appendEvents([...on(a, visit('g1', 'u1', 0, ['/a1'])), ...onB, ...on(b, visit('g3', 'u3', 1, ['/b4']))]);
    await store.foldStats();
    const admin = createClient({ url: new URL('/', serverUrl).toString() });
    const gens = async (): Promise<Record<string, string>> => {
      const rows = await (
        await admin.query({
          query:
            `SELECT pixel_id, toString(max(gen)) AS gen FROM ${foldTable('folds')} ` +
            `WHERE pixel_id IN ('${a}', '${b}') AND vday = ${Math.floor(T0 / 86_400_000)} GROUP BY pixel_id`,
          format: 'JSONEachRow',
        })
      ).json<{ pixel_id: string; gen: string }>();
      return Object.fromEntries(rows.map((r) => [r.pixel_id, r.gen]));
    };
    // One statement copied both pixels' day 0: the same generation holds both copies.
    const first = await gens();
    expect(first[a]).toBeDefined();
    expect(first[b]).toBe(first[a]);
    // B's day 0 changes and is copied again; A's day 0 keeps the first generation, whose rows
    // still hold B's earlier copy of day 0 (two page views where there are three now).
    await store.appendEvents([lateEvent]);
    await store.foldStats();
    const second = await gens();
    expect(second[a]).toBe(first[a]);
    expect(BigInt(second[b] ?? 0)).toBeGreaterThan(BigInt(first[b] ?? 0));
    await admin.close();
    // A pixel listed twice reads its days once.
    const q = { ...scope, pixelIds: [a, b, a] };
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 3, visits: 3, pageviews: 5 });
    const pages = await store.statsBreakdown(q, { property: 'page', limit: 10, offset: 0 });
    expect(pages.rows.map((r) => [r.value, r.totals.visits])).toEqual([
      ['/a1', 1],
      ['/b1', 1],
      ['/b2', 1],
      ['/b3', 1],
      ['/b4', 1],
    ]);
    await store.close();
  }, 120_000);

  it('count a period of local days from the day rollups: masks meeting the days across the middle of a window, a late event read from the visits until rebuilt, rows two generations back removed', async () => {
    const store = new ClickHouseAnalyticsStore(urlFor());
    await store.init();
    const zone = 'Asia/Kolkata';
    const own = randomUUID();
    // Local day 20512 (2026-02-28) is where window 641 starts: window 640 holds days 20480 to 20543.
    const B = 20512;
    const at = (day: number, hour: number) => startOfLocalDay(day, zone) + hour * HOUR_MS;
    const visitAt = (session: string, visitor: string, ms: number, paths: string[], referrer: string | null = null): EventRow[] =>
      paths.map((path, i) =>
        eventRow({
          ts_millis: ms + i * 60_000,
          organization_id: org,
          project_id: 'project',
          pixel_id: own,
          visitor_id: visitor,
          session_id: session,
          path,
          url: `https://acme.example${path}`,
          referrer: i === 0 ? referrer : null,
        }),
      );
    await store.appendEvents([
      // Half past midnight in Kolkata is the evening before in UTC: the visit's UTC day is the day before.
      ...visitAt('d1', 'x1', at(B - 3, 0.5), ['/', '/pricing']),
      ...visitAt('d2', 'x1', at(B + 2, 23), ['/docs'], 'https://www.google.com/'),
      ...visitAt('d3', 'x2', at(B + 1, 12), ['/pricing']),
      ...visitAt('d4', 'x3', at(B - 20, 9), ['/']),
      ...visitAt('d5', 'x4', at(B - 5, 0), ['/', '/a']),
      ...visitAt('d6', 'x4', at(B + 10, 23.9), ['/b']),
      ...visitAt('d7', 'x5', at(B + 11, 0), ['/']),
    ]);
    await store.foldStats();
    const q: StatsScope = {
      organizationId: org,
      pixelIds: [own],
      startMs: startOfLocalDay(B - 5, zone),
      endMs: startOfLocalDay(B + 11, zone),
      zone,
    };
    const plain = { ...q, zone: undefined };
    const series = (s: StatsScope, unit: 'day' | 'week') =>
      store.statsTimeseries(s, { unit, offsets: offsetPieces(q.startMs, q.endMs, zone) });
    /** Every answer in the zone equals the one over the visits (the same instants, no zone), both read by `by`. */
    const same = async (when: string, by: ClickHouseAnalyticsStore = store) => {
      expect(await by.statsTotals(q), when).toEqual(await by.statsTotals(plain));
      for (const unit of ['day', 'week'] as const) {
        const spec = { unit, offsets: offsetPieces(q.startMs, q.endMs, zone) };
        expect(await by.statsTimeseries(q, spec), `${when} per ${unit}`).toEqual(await by.statsTimeseries(plain, spec));
      }
      for (const property of ['page', 'source', 'entry_page'] as const) {
        const page = { property, limit: 100, offset: 0 };
        expect((await by.statsBreakdown(q, page)).rows, `${when} by ${property}`).toEqual((await by.statsBreakdown(plain, page)).rows);
      }
    };
    // The first read in the zone queues the window's build and answers from the visits.
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 3, visits: 5, pageviews: 7 });
    await store.settleStats();
    const admin = createClient({ url: new URL('/', serverUrl).toString() });
    const builds = async (): Promise<string[]> =>
      (
        await (
          await admin.query({
            query: `SELECT toString(gen) AS gen FROM ${dayTable('day_builds')} WHERE pixel_id = '${own}' AND win = 640 ORDER BY gen`,
            format: 'JSONEachRow',
          })
        ).json<{ gen: string }>()
      ).map((r) => r.gen);
    const [built] = await builds();
    expect(built).toBeDefined();
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 3, visits: 5, pageviews: 7, bounces: 3 });
    await same('built');
    const days = await series(q, 'day');
    expect(days.filter((d) => d.totals.visits > 0).map((d) => [d.bucket - B, d.totals.visitors])).toEqual([
      [-5, 1],
      [-3, 1],
      [1, 1],
      [2, 1],
      [10, 1],
    ]);
    // A period starting in the window before reads that window's build once it is made.
    const before = { ...q, startMs: startOfLocalDay(B - 40, zone), endMs: startOfLocalDay(B - 14, zone) };
    expect(await store.statsTotals(before)).toMatchObject({ visitors: 1, visits: 1 });
    await store.settleStats();
    expect(await store.statsTotals(before)).toMatchObject({ visitors: 1, visits: 1 });

    // A late visit on a folded day, by a new visitor and by one counted already: that day is read from
    // the visits (its copy is no longer the exact one), the others from the build.
    // A second process that folds nothing (a day must be a year old first): its reads queue no fold,
    // and no rebuild while the late days are not folded, so they take those days from the visits.
    const reader = new ClickHouseAnalyticsStore({ url: urlFor(), statsFoldLagMs: 365 * DAY_MS });
    await reader.init();
    await store.appendEvents([...visitAt('d8', 'x6', at(B + 1, 15), ['/late']), ...visitAt('d9', 'x2', at(B + 3, 8), ['/late'])]);
    expect(await reader.statsTotals(q)).toMatchObject({ visitors: 4, visits: 7, pageviews: 9 });
    await same('a late visit, before the fold', reader);
    await store.foldStats();
    expect(await builds()).toHaveLength(1);
    // Folded now, and the build behind: the first read queues the rebuild and reads the copies.
    expect(await reader.statsTotals(q)).toEqual(await reader.statsTotals(plain));
    await same('a late visit, folded', reader);
    await reader.close();
    await store.settleStats();
    const rebuilt = await builds();
    expect(rebuilt).toHaveLength(2);
    await same('rebuilt');
    expect(await store.statsTotals(q)).toMatchObject({ visitors: 4, visits: 7 });

    // A third build of the window, and a third copy of day B + 1: the rows two generations back go
    // (in the background), the latest two stay.
    await store.appendEvents(visitAt('d10', 'x7', at(B + 1, 18), ['/later']));
    await store.foldStats();
    await store.statsTotals(q);
    await store.settleStats();
    const third = await builds();
    expect(third.slice(-2)).toHaveLength(2);
    const count = async (sql: string): Promise<number> =>
      Number((await (await admin.query({ query: sql, format: 'JSONEachRow' })).json<{ c: string }>())[0]?.c);
    for (let i = 0; i < 100; i++) {
      const left =
        (await count(`SELECT count() AS c FROM ${dayTable('day_masks')} WHERE pixel_id = '${own}' AND gen = ${built}`)) +
        (await count(`SELECT count() AS c FROM ${dayTable('day_builds')} WHERE pixel_id = '${own}' AND gen = ${built}`));
      if (left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await builds()).toEqual(third.slice(-2));
    expect(
      await count(`SELECT count() AS c FROM ${dayTable('day_masks')} WHERE pixel_id = '${own}' AND gen = ${third[1]}`),
    ).toBeGreaterThan(0);
    const copies = () =>
      count(
        `SELECT uniqExact(gen) AS c FROM ${foldTable('folded_visits')} WHERE pixel_id = '${own}' AND vday = ${Math.floor(at(B + 1, 18) / DAY_MS)}`,
      );
    for (let i = 0; i < 100 && (await copies()) > 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await copies()).toBe(2);
    const rebuiltAgain = third.slice(-2);
    await same('built a third time');

    // The masks are what the count reads: a row added to the latest build's masks, on the window's
    // last day, counts in a period with that day and not in one without it. Rows are found by the
    // pixel's key with the build's generation: the same row keyed as another pixel (or zone) is not read.
    const plant = (key: string, visitor: string) =>
      admin.command({
        query:
          `INSERT INTO ${dayTable('day_masks')} (pkey, organization_id, pixel_id, zone, win, gen, prop, value, v_visitor, mask) ` +
          `VALUES (${key}, '${org}', '${own}', '${zone}', 640, ${rebuiltAgain[1]}, 0, '', '${visitor}', ${2n ** 63n})`,
      });
    const end = { ...q, startMs: startOfLocalDay(B - 1, zone), endMs: startOfLocalDay(B + 32, zone) };
    expect((await store.statsTotals(end)).visitors).toBe(6);
    await plant(pixelZoneKey(org, randomUUID(), zone), 'other pixel');
    await plant(pixelZoneKey(org, own, 'UTC'), 'other zone');
    expect((await store.statsTotals(end)).visitors).toBe(6);
    await plant(pixelZoneKey(org, own, zone), 'ghost');
    expect((await store.statsTotals(q)).visitors).toBe(5);
    expect((await store.statsTotals(end)).visitors).toBe(7);
    await admin.close();
    await store.close();
  }, 120_000);

  it('carry attribute values with the separator and escape characters in them unchanged', async () => {
    const store = new ClickHouseAnalyticsStore(urlFor());
    await store.init();
    const campaign = 'a\x1eb\x1fc\x1f\x01d\x1f\x02\x1e';
    const city = '\x1f\x1f\x01';
    const [first, ...rest] = visit('odd', 'v9', 4, ['/x', '/y']);
    if (!first) throw new Error('a visit has events');
    await store.appendEvents([{ ...first, utm_campaign: campaign, utm_source: 'news', city }, ...rest]);
    const day = { ...scope, startMs: T0 + 4 * 86_400_000 - 3_600_000, endMs: T0 + 5 * 86_400_000 };
    const byCampaign = await store.statsBreakdown(day, { property: 'utm_campaign', limit: 10, offset: 0 });
    expect(byCampaign.rows.map((r) => r.value)).toEqual([campaign]);
    const byCity = await store.statsBreakdown(day, { property: 'city', limit: 10, offset: 0 });
    expect(byCity.rows.map((r) => r.value)).toEqual([city]);
    const filtered = await store.statsTotals({ ...day, filter: [[{ property: 'utm_campaign', op: 'eq', value: campaign }]] });
    expect(filtered).toMatchObject({ visits: 1, pageviews: 2 });
    await store.close();
  }, 60_000);
});
