// DuckDB's day rollups (analytics/duckdb-stats-days.ts) beyond the shared contract: periods longer
// than one 64-day window of the visitor masks and periods inside one, visitors on two pixels, a fold that changes a visit's
// first event (and so its visitor and source) on days the rollups hold, and a retention delete, each
// answered in the zone (day rollups) and compared with the same question without it (visit rows).
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { coverDays, dayShape, windowMask } from '../../src/analytics/duckdb-stats-days.js';
import { STATS_PROPERTIES, type StatsProperty, type StatsScope } from '../../src/analytics/stats.js';
import type { Grouping } from '../../src/analytics/stats-sql.js';
import type { EventRow } from '../../src/analytics/types.js';
import { seededRandom } from '../../src/platform/random.js';
import { DAY_MS, HOUR_MS, offsetPieces, startOfLocalDay } from '../../src/platform/time-zone.js';
import { eventRow } from '../support/events.js';

/** The day rollups' separator of a value kept by another's (duckdb-stats-days.ts). */
const SEP = String.fromCharCode(31);

describe('windowMask', () => {
  it('sets the bits of the days inside the window (64 days from 32·w), none outside', () => {
    expect(windowMask(2, 64, 64)).toBe(1n);
    expect(windowMask(1, 64, 64)).toBe(1n << 32n);
    expect(windowMask(2, 60, 66)).toBe(0b111n);
    expect(windowMask(0, 60, 66)).toBe(0b1111n << 60n);
    expect(windowMask(0, 0, 63)).toBe((1n << 64n) - 1n);
    expect(windowMask(4, 0, 127)).toBe(0n);
    expect(windowMask(2, 100, 90)).toBe(0n);
  });
});

describe('dayShape', () => {
  const q = { organizationId: 'o', pixelIds: ['p'], startMs: 0, endMs: 86_400_000, zone: 'UTC' };
  const none = { kind: 'none' } as const;
  it('answers a clicked row (one eq condition with a value) from that value, and nothing else that is filtered', () => {
    const page = dayShape({ ...q, filter: [[{ property: 'page', op: 'eq', value: '/a' }]] }, none);
    const source = dayShape({ ...q, filter: [[{ property: 'source', op: 'eq', value: 'Google' }]] }, none);
    expect(page?.prop).toBeGreaterThan(0);
    expect(source?.prop).toBeGreaterThan(0);
    expect(source?.prop).not.toBe(page?.prop);
    expect(page?.visitsWhere).toEqual({ property: 'page', op: 'eq', value: '/a' });
    const refused: StatsScope['filter'][] = [
      [[{ property: 'page', op: 'ne', value: '/a' }]],
      [[{ property: 'page', op: 'eq', value: null }]],
      [[{ property: 'company', op: 'eq', value: 'Acme' }]],
      [[{ property: 'page', op: 'eq', value: '/a' }], [{ property: 'page', op: 'eq', value: '/b' }]],
      [
        [
          { property: 'page', op: 'eq', value: '/a' },
          { property: 'country', op: 'eq', value: 'DE' },
        ],
      ],
    ];
    for (const filter of refused) expect(dayShape({ ...q, ...(filter ? { filter } : {}) }, none), JSON.stringify(filter)).toBeNull();
    const series: Grouping = { kind: 'bucket', spec: { unit: 'day', offsets: [] } };
    expect(dayShape({ ...q, filter: [[{ property: 'page', op: 'eq', value: '/a' }]] }, series)?.group).toBe('bucket');
    // Its own property's breakdown (one row) too; another property's is left to the visit rows.
    const by = (property: StatsProperty): Grouping => ({ kind: 'property', property });
    expect(dayShape({ ...q, filter: [[{ property: 'page', op: 'eq', value: '/a' }]] }, by('page'))?.prop).toBe(page?.prop);
    expect(dayShape({ ...q, filter: [[{ property: 'source', op: 'eq', value: 'Google' }]] }, by('source'))?.prop).toBe(source?.prop);
    expect(dayShape({ ...q, filter: [[{ property: 'page', op: 'eq', value: '/a' }]] }, by('browser'))).toBeNull();
    // A clicked page's visit panels of the overview: kept by page, with or without the panel's not_null.
    const clickedPage = { ...q, filter: [[{ property: 'page', op: 'eq', value: '/a' }]] } as StatsScope;
    for (const property of ['source', 'utm_campaign', 'country', 'device'] as const) {
      expect(dayShape(clickedPage, by(property))).toMatchObject({
        group: 'after-separator',
        visitsWhere: { property: 'page', value: '/a' },
      });
      const panel = dayShape(
        {
          ...q,
          filter: [
            [
              { property, op: 'not_null', value: null },
              { property: 'page', op: 'eq', value: '/a' },
            ],
          ],
        },
        by(property),
      );
      expect(panel).toMatchObject({ group: 'after-separator', valuesNotNull: true });
    }
    for (const filter of [
      [[{ property: 'page', op: 'eq', value: `/a${SEP}b` }]],
      [[{ property: 'page', op: 'eq', value: null }]],
      [
        [
          { property: 'page', op: 'eq', value: '/a' },
          { property: 'country', op: 'eq', value: 'DE' },
        ],
      ],
      [
        [
          { property: 'page', op: 'eq', value: '/a' },
          { property: 'device', op: 'not_null', value: null },
        ],
      ],
    ] as StatsScope['filter'][]) {
      expect(dayShape({ ...q, ...(filter ? { filter } : {}) }, by('country')), JSON.stringify(filter)).toBeNull();
    }
    // A clicked source's campaign, country and device panels: kept by source; its browsers are not.
    const clickedSource = { ...q, filter: [[{ property: 'source', op: 'eq', value: 'Google' }]] } as StatsScope;
    for (const property of ['utm_campaign', 'country', 'device'] as const) {
      expect(dayShape(clickedSource, by(property))).toMatchObject({ group: 'after-separator', visitsWhere: { property: 'source' } });
    }
    expect(dayShape(clickedSource, by('browser'))).toBeNull();
    // A clicked page's company networks: kept by page, for business networks only.
    const pageAnd = (type: string): StatsScope => ({
      ...q,
      filter: [
        [
          { property: 'network_type', op: 'eq', value: type },
          { property: 'page', op: 'eq', value: '/a' },
        ],
      ],
    });
    expect(dayShape(pageAnd('business'), by('network'))).toMatchObject({
      group: 'after-separator',
      visitsWhere: { property: 'page' },
      visitsAlso: { property: 'network_type', value: 'business' },
    });
    expect(dayShape(pageAnd('isp'), by('network'))).toBeNull();
    // A panel's own not_null alone: its non-null rows; another property's not_null is left to the visits.
    expect(dayShape({ ...q, filter: [[{ property: 'utm_campaign', op: 'not_null', value: null }]] }, by('utm_campaign'))).toMatchObject({
      group: 'value',
      valuesNotNull: true,
    });
    expect(dayShape({ ...q, filter: [[{ property: 'referrer', op: 'not_null', value: null }]] }, by('utm_campaign'))).toBeNull();
    // A clicked source's pages: kept by source, unless the source holds the separator.
    expect(dayShape({ ...q, filter: [[{ property: 'source', op: 'eq', value: 'Google' }]] }, by('page'))?.group).toBe('after-separator');
    expect(dayShape({ ...q, filter: [[{ property: 'source', op: 'eq', value: `a${SEP}b` }]] }, by('page'))).toBeNull();
  });
});

describe('coverDays', () => {
  const bits = (cover: Map<number, bigint>) => [...cover].map(([w, m]) => [w, m.toString(2)]);
  it('covers any 33 days in a row with one window', () => {
    for (let a = 0; a < 64; a++) expect(coverDays([[a, a + 32]]).size, `days ${a}..${a + 32}`).toBe(1);
    expect(bits(coverDays([[31, 63]]))).toEqual([[0, '1'.repeat(33) + '0'.repeat(31)]]);
    expect(bits(coverDays([[32, 64]]))).toEqual([[1, '1'.repeat(33)]]);
  });
  it('puts each day of longer periods and of several intervals in exactly one window', () => {
    for (const days of [
      [[10, 200]],
      [
        [5, 9],
        [40, 80],
      ],
      [
        [100, 100],
        [0, 3],
      ],
    ] as [number, number][][]) {
      const cover = coverDays(days);
      const seen = new Map<number, number>();
      for (const [w, m] of cover) {
        for (let bit = 0; bit < 64; bit++) if ((m >> BigInt(bit)) & 1n) seen.set(w * 32 + bit, (seen.get(w * 32 + bit) ?? 0) + 1);
      }
      const want = days.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i)).sort((x, y) => x - y);
      expect([...seen.keys()].sort((x, y) => x - y)).toEqual(want);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    }
    expect(coverDays([[10, 200]]).size).toBe(4);
  });
});

const ZONE = 'America/New_York';
/** The properties asked in most cases (every one once): event-level, visit-level, derived. */
const SOME: readonly StatsProperty[] = ['page', 'event_type', 'entry_page', 'source', 'country', 'network'];
// Local day 20530 is 2026-03-18; the masks' windows start every 32 days (20512, 20544, 20576): 70
// days need two windows.
const FIRST_DAY = 20_530;
const DAYS = 70;

describe('DuckDB day rollups', () => {
  let store: DuckDbAnalyticsStore;
  const org = randomUUID();
  const pixels = [randomUUID(), randomUUID()];
  const rows: EventRow[] = [];

  beforeAll(async () => {
    store = new DuckDbAnalyticsStore(join(mkdtempSync(join(tmpdir(), 'delivr-stats-days-')), 'analytics.duckdb'), {
      statsFoldDelayMs: 3_600_000,
      // Sorted by value however few the rows, as a big store's are.
      statsSortMinRows: 0,
    });
    await store.init();
    const rnd = seededRandom(11);
    const visitors = Array.from({ length: 25 }, (_, i) => `visitor-${i}`);
    for (let v = 0; v < 400; v++) {
      const pixel = pixels[v % 3 === 0 ? 1 : 0] as string;
      const at = startOfLocalDay(FIRST_DAY, ZONE) + Math.floor(rnd() * DAYS * DAY_MS);
      const session = `s${v}`;
      const visitor = v % 37 === 5 ? null : (visitors[Math.floor(rnd() * visitors.length)] as string);
      const count = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < count; k++) {
        rows.push(
          eventRow({
            organization_id: org,
            project_id: 'p',
            pixel_id: pixel,
            ts_millis: at + k * 90_000,
            event_id: `${session}-${k}`,
            session_id: session,
            visitor_id: visitor,
            event_type: k === 0 ? 'page_view' : rnd() < 0.5 ? 'click' : 'page_view',
            path: ['/', '/a', '/b', '/c'][Math.floor(rnd() * 4)] as string,
            url: 'https://site.example/',
            referrer: rnd() < 0.3 ? 'https://www.google.com/' : null,
            // Sources of their own, one holding the day rollups' separator (a page by source is kept as source, separator, page).
            utm_source: [null, null, null, 'news', `news${SEP}letter`][Math.floor(rnd() * 5)] as string | null,
            country: rnd() < 0.5 ? 'DE' : 'US',
            network_org: rnd() < 0.5 ? 'Acme' : 'Comcast',
            network_type: rnd() < 0.5 ? 'business' : 'isp',
          }),
        );
      }
    }
    await store.appendEvents(rows);
    await store.foldStats();
  }, 60_000);
  afterAll(async () => {
    await store.close();
  });

  const scope = (first: number, last: number, pixelIds: readonly string[]): StatsScope => ({
    organizationId: org,
    pixelIds,
    startMs: startOfLocalDay(first, ZONE),
    endMs: startOfLocalDay(last + 1, ZONE),
  });

  /** Every question of the overview, in the zone and without it: the same answers. */
  async function same(q: StatsScope, when: string, properties: readonly StatsProperty[] = SOME): Promise<void> {
    const z = { ...q, zone: ZONE };
    expect(await store.statsTotals(z), when).toEqual(await store.statsTotals(q));
    expect(await store.statsTotals({ ...z, identified: true }), when).toEqual(await store.statsTotals({ ...q, identified: true }));
    for (const unit of ['day', 'week', 'month'] as const) {
      const spec = { unit, offsets: offsetPieces(q.startMs, q.endMs, ZONE) };
      expect(await store.statsTimeseries(z, spec), `${when} per ${unit}`).toEqual(await store.statsTimeseries(q, spec));
    }
    for (const property of properties) {
      const b = { property, limit: 1000, offset: 0 };
      expect(await store.statsBreakdown(z, b), `${when} ${property}`).toEqual(await store.statsBreakdown(q, b));
    }
    // A clicked row: totals and series of the visits with one value, from that value's rollup rows.
    for (const [property, value] of [
      ['page', '/a'],
      ['event_type', 'click'],
      ['source', 'Google'],
      ['source', 'news'],
      ['source', `news${SEP}letter`],
      ['country', 'DE'],
    ] as const) {
      const clicked = { filter: [[{ property, op: 'eq' as const, value }]] };
      const label = `${when} ${property} = ${value}`;
      const totals = await store.statsTotals({ ...q, ...clicked, identified: true });
      // The two `news` sources are rarer: a short period may have none (the whole month has, below).
      if (property !== 'source' || value === 'Google') expect(totals.visits, label).toBeGreaterThan(0);
      expect(await store.statsTotals({ ...z, ...clicked, identified: true }), label).toEqual(totals);
      for (const unit of ['day', 'week'] as const) {
        const spec = { unit, offsets: offsetPieces(q.startMs, q.endMs, ZONE) };
        expect(await store.statsTimeseries({ ...z, ...clicked }, spec), `${label} per ${unit}`).toEqual(
          await store.statsTimeseries({ ...q, ...clicked }, spec),
        );
      }
      for (const by of new Set<StatsProperty>([property, 'page', 'source'])) {
        const b = { property: by, limit: 1000, offset: 0 };
        expect(await store.statsBreakdown({ ...z, ...clicked }, b), `${label} by ${by}`).toEqual(
          await store.statsBreakdown({ ...q, ...clicked }, b),
        );
      }
    }
    const filter = [[{ property: 'network_type' as const, op: 'eq' as const, value: 'business' }]];
    const b = { property: 'network' as const, limit: 10, offset: 0 };
    expect(await store.statsBreakdown({ ...z, filter }, b), `${when} business networks`).toEqual(
      await store.statsBreakdown({ ...q, filter }, b),
    );
  }

  it('answers over two windows and inside one, for one pixel and two, as the visit rows do', async () => {
    await store.statsTotals({ ...scope(FIRST_DAY, FIRST_DAY, pixels), zone: ZONE });
    await store.settleStats();
    for (const pixelIds of [pixels, [pixels[0] as string]]) {
      await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixelIds), 'two windows', pixelIds.length > 1 ? STATS_PROPERTIES : SOME);
      await same(scope(FIRST_DAY + 2, FIRST_DAY + 9, pixelIds), 'a week in one window');
      await same(scope(FIRST_DAY + 10, FIRST_DAY + 39, pixelIds), '30 days across a window start, in one window');
      await same(scope(FIRST_DAY + 14, FIRST_DAY + 14, pixelIds), 'one day after a window start');
    }
    for (const value of ['news', `news${SEP}letter`]) {
      const filter = [[{ property: 'source' as const, op: 'eq' as const, value }]];
      expect((await store.statsTotals({ ...scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixels), filter })).visits, value).toBeGreaterThan(0);
    }
    expect(coverDays([[FIRST_DAY, FIRST_DAY + DAYS - 1]]).size).toBe(2);
    expect(coverDays([[FIRST_DAY + 10, FIRST_DAY + 39]]).size).toBe(1);
    expect((FIRST_DAY + 14) % 32).toBe(0);
  }, 180_000);

  it('stays exact when new events change stored visits, before and after the fold, and after a retention delete', async () => {
    const stored = rows.find((e) => e.pixel_id === pixels[0] && e.ts_millis > startOfLocalDay(FIRST_DAY + 12, ZONE)) as EventRow;
    const day = Math.floor(stored.ts_millis / DAY_MS) * DAY_MS;
    const more = [
      // The visit's new first event: another visitor, source and country.
      eventRow({
        ...stored,
        event_id: 'late-first',
        ts_millis: day + 1,
        visitor_id: 'visitor-late',
        referrer: 'https://www.bing.com/',
        country: 'FR',
      }),
      eventRow({ ...stored, event_id: 'new-visit', session_id: 'new', ts_millis: stored.ts_millis + 2 * HOUR_MS, visitor_id: 'visitor-3' }),
    ];
    await store.appendEvents(more);
    await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixels), 'not folded');
    await store.foldStats();
    await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixels), 'folded');
    await same(scope(FIRST_DAY + 10, FIRST_DAY + 39, [pixels[0] as string]), 'folded, one window');
    await store.deleteEventsBefore(org, [pixels[0] as string], startOfLocalDay(FIRST_DAY + 5, ZONE) + 3 * HOUR_MS);
    await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixels), 'after a retention delete');
    await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, [pixels[0] as string]), 'after a retention delete, one pixel');
  }, 180_000);
});
