// What the ClickHouse stats rollups have to prove beyond the shared contract: an events table from
// before them (no views yet) is counted in full once a process creates the views, a second
// process opening the same database neither fills them again nor breaks ingest, attribute
// values survive the one String the rollup joins them into, and the fold's copies are what reads
// take while their days stand, and are left the moment a day changes.
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import type { EventRow } from '../../src/analytics/types.js';
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
    const table = (name: string) => `\`${database}\`.\`events_stats_${name}_v2\``;
    const latestGen = async (): Promise<string | undefined> => {
      const [row] = await (
        await admin.query({
          query: `SELECT toString(max(gen)) AS gen FROM ${table('folds')} WHERE pixel_id = '${own}' AND vday = ${Math.floor(T0 / 86_400_000)}`,
          format: 'JSONEachRow',
        })
      ).json<{ gen: string }>();
      return row?.gen;
    };
    const gen = await latestGen();
    await admin.command({
      query:
        `INSERT INTO ${table('folded_visits')} (organization_id, pixel_id, session_id, vday, v_start, v_end, v_visitor, v_events, v_pageviews, v_interactions, gen) ` +
        `VALUES ('${org}', '${own}', 'copy-only', ${Math.floor(T0 / 86_400_000)}, ${T0}, ${T0}, 'w9', 1, 1, 1, ${gen})`,
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
            `SELECT pixel_id, toString(max(gen)) AS gen FROM \`${database}\`.\`events_stats_folds_v2\` ` +
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
