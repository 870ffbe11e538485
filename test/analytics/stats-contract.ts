// The traffic stats contract, run on every analytics engine (stats.contract.test.ts): a generated
// dataset (visits across UTC midnight and a daylight-saving change, bots, events without a session,
// ties in time, visits whose first event arrives last, identified visitors) appended in shuffled
// batches, and every total, time series and breakdown, with and without filters, in UTC and in two
// other zones, compared with the plain in-memory computation of test/analytics/stats-reference.ts.
// An engine that keeps rollups behind a watermark (DuckDB) is asked with half of the batches folded
// and the other half still raw (visits with events on both sides), then again once all are folded.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BucketUnit, STATS_PROPERTIES, type StatsFilter, type StatsScope } from '../../src/analytics/stats.js';
import type { AnalyticsStore, EventRow } from '../../src/analytics/types.js';
import { hemsOf } from '../../src/identity/hem.js';
import { seededRandom } from '../../src/platform/random.js';
import {
  DAY_MS,
  firstDayOfMonth,
  HOUR_MS,
  monthOfDay,
  offsetPieces,
  startOfLocalDay,
  wallClock,
  weekOfDay,
} from '../../src/platform/time-zone.js';
import { eventRow } from '../support/events.js';
import { type Identities, type RawEvent, type RefVisit, refBreakdown, refTimeseries, refTotals, visitsOf } from './stats-reference.js';

// 2026-03-05 .. 2026-03-12 UTC: New York moves its clocks on 2026-03-08.
const T0 = Date.UTC(2026, 2, 5);
const DAYS = 7;
const SITE = 'https://acme.example';
const PATHS = ['/', '/pricing', '/docs/start', '/blog/launch', '/about', '/contact'];
const REFERRERS: (string | null)[] = [
  null,
  null,
  'https://www.google.com/search?q=acme',
  'https://www.google.de/',
  'https://www.bing.com/',
  'https://t.co/abc',
  'https://www.linkedin.com/feed/',
  'https://news.example.org/article',
  `${SITE}/pricing`,
  'https://mail.google.com/',
];
const UTM: [string | null, string | null, string | null][] = [
  [null, null, null],
  [null, null, null],
  ['newsletter', 'email', 'spring'],
  ['google', 'cpc', 'brand'],
  ['partner', null, 'launch'],
];
const PLACES: [string, string, string][] = [
  ['US', 'California', 'San Francisco'],
  ['DE', 'Berlin', 'Berlin'],
  ['FR', 'Île-de-France', 'Paris'],
  ['IN', 'Karnataka', 'Bengaluru'],
];
const DEVICES: [string, string, string][] = [
  ['Chrome', 'macOS', 'desktop'],
  ['Safari', 'iOS', 'mobile'],
  ['Firefox', 'Linux', 'desktop'],
];
const NETWORKS: [string, string][] = [
  ['Comcast Cable Communications, LLC', 'isp'],
  ['Acme Corp', 'business'],
  ['Amazon.com, Inc.', 'hosting'],
];
const TYPES = ['page_view', 'page_view', 'page_view', 'click', 'scroll_depth', 'form_submission', 'user_idle'];

interface Dataset {
  org: string;
  pixels: [string, string];
  otherOrg: string;
  otherPixel: string;
  rows: EventRow[];
  identities: Map<string, { hem: string; company: string | null }>;
}

function generate(seed: number): Dataset {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const org = randomUUID();
  const pixels: [string, string] = [randomUUID(), randomUUID()];
  const otherOrg = randomUUID();
  const otherPixel = randomUUID();
  const visitors = Array.from({ length: 36 }, (_, i) => `v${i}-${randomUUID().slice(0, 8)}`);
  const rows: EventRow[] = [];
  let n = 0;
  const event = (base: Partial<EventRow> & Pick<EventRow, 'ts_millis' | 'pixel_id' | 'organization_id'>): EventRow => {
    n += 1;
    return eventRow({
      event_id: `e${String(n).padStart(5, '0')}-${randomUUID().slice(0, 6)}`,
      received_millis: base.ts_millis + 50,
      project_id: 'project',
      url: null,
      path: null,
      ...base,
    });
  };
  for (let v = 0; v < 140; v++) {
    const pixel = v % 5 === 4 ? pixels[1] : pixels[0];
    const visitor = v % 29 === 7 ? null : pick(visitors);
    const session = `s${v}-${randomUUID().slice(0, 6)}`;
    // Some visits start just before a UTC midnight and run past it.
    let t = v % 11 === 3 ? T0 + (1 + Math.floor(rnd() * (DAYS - 2))) * DAY_MS - 5 * 60_000 : T0 + Math.floor(rnd() * DAYS * DAY_MS);
    const referrer = pick(REFERRERS);
    const [utmSource, utmMedium, utmCampaign] = pick(UTM);
    const count = 1 + Math.floor(rnd() * 6);
    const bot = v % 23 === 5;
    for (let k = 0; k < count; k++) {
      const path = pick(PATHS);
      const type = k === 0 && v % 13 !== 6 ? 'page_view' : pick(TYPES);
      const query = k === 0 && utmSource ? `?utm_source=${utmSource}` : '';
      const place = pick(PLACES);
      const [browser, os, device] = pick(DEVICES);
      const [network, networkType] = pick(NETWORKS);
      rows.push(
        event({
          organization_id: org,
          pixel_id: pixel,
          ts_millis: t,
          event_type: type,
          visitor_id: visitor,
          session_id: session,
          url: `${SITE}${path}${query}`,
          path,
          referrer: k === 0 ? referrer : `${SITE}/`,
          utm_source: k === 0 ? utmSource : null,
          utm_medium: k === 0 ? utmMedium : null,
          utm_campaign: k === 0 ? utmCampaign : null,
          country: place[0],
          region: place[1],
          city: place[2],
          browser,
          os,
          device_type: device,
          network_org: network,
          network_type: networkType,
          is_bot: bot || (k === 2 && v % 17 === 1),
        }),
      );
      // Ties in time within a visit (the event id decides), otherwise seconds to minutes apart.
      if (!(v % 9 === 2 && k === 0)) t += 1000 + Math.floor(rnd() * 20 * 60_000);
    }
  }
  // Events without a session (server-side sends) and another organization's traffic: never counted.
  for (let i = 0; i < 10; i++) {
    rows.push(
      event({ organization_id: org, pixel_id: pixels[0], ts_millis: T0 + i * 7_200_000, visitor_id: pick(visitors), path: '/api' }),
    );
    rows.push(
      event({
        organization_id: otherOrg,
        pixel_id: otherPixel,
        ts_millis: T0 + i * 7_200_000,
        visitor_id: 'x',
        session_id: `o${i}`,
        path: '/',
      }),
    );
  }
  const identities = new Map<string, { hem: string; company: string | null }>();
  visitors.slice(0, 9).forEach((visitor, i) => {
    identities.set(visitor, { hem: hemsOf(`person${i}@example.com`).hem_sha256, company: i % 3 === 2 ? null : `Company ${i % 3}` });
  });
  return { org, pixels, otherOrg, otherPixel, rows, identities };
}

const raw = (rows: readonly EventRow[]): RawEvent[] => rows as unknown as RawEvent[];

/** Zones the periods are computed in: UTC, one with daylight saving, one half an hour off. */
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata'];

function bucketOf(unit: BucketUnit, zone: string): (ms: number) => number {
  return (ms) => {
    const wall = wallClock(ms, zone);
    const day = Math.floor(wall / DAY_MS);
    return unit === 'hour' ? Math.floor(wall / HOUR_MS) : unit === 'day' ? day : unit === 'week' ? weekOfDay(day) : monthOfDay(day);
  };
}

export interface StatsContractOptions {
  /** Folds every appended event into the engine's rollups now (DuckDB); without it, nothing to fold. */
  fold?: (store: AnalyticsStore) => Promise<void>;
  /**
   * Waits for the rollups a read in a zone asked for, without folding (DuckDB's day rollups, built
   * per pixel in the project's zone when first read in it).
   */
  settle?: (store: AnalyticsStore) => Promise<void>;
}

export async function runStatsContract(
  name: string,
  makeStore: () => Promise<AnalyticsStore | null>,
  options: StatsContractOptions = {},
): Promise<void> {
  const store = await makeStore();
  if (!store) {
    describe.skip(`stats contract: ${name} (not configured)`, () => {
      it('needs a configured backend', () => undefined);
    });
    return;
  }
  const s: AnalyticsStore = store;
  const data = generate(20260305);
  let visits: RefVisit[] = [];
  const identities: Identities = data.identities;

  describe(`stats contract: ${name}`, () => {
    beforeAll(async () => {
      await s.init();
      // Shuffled batches: later batches hold earlier events of visits already stored.
      const rnd = seededRandom(7);
      const order = [...data.rows].sort(() => rnd() - 0.5);
      const half = Math.floor(order.length / 74) * 37;
      for (let i = 0; i < order.length; i += 37) {
        // Half the batches folded into the rollups, the rest left past the watermark.
        if (i === half) await options.fold?.(s);
        await s.appendEvents(order.slice(i, i + 37));
      }
      const now = Date.now();
      for (const [visitor, id] of data.identities) {
        await s.mergeProfiles(
          data.org,
          [{ hem_sha256: id.hem, hem_md5: id.hem.slice(0, 32), hem_sha1: null, company_name: id.company }],
          now,
        );
        await s.linkVisitors(data.org, [{ visitor_id: visitor, hem_sha256: id.hem, source: 'identify', at: now }]);
      }
      visits = visitsOf(raw(data.rows), identities);
    }, 120_000);
    afterAll(async () => {
      await s.close();
    });

    const scope = (startMs: number, endMs: number, extra: Partial<StatsScope> = {}): StatsScope => ({
      organizationId: data.org,
      pixelIds: data.pixels,
      startMs,
      endMs,
      identified: true,
      ...extra,
    });
    /** Reads once in `zone` (an engine may build rollups kept in its local days) and waits for them. */
    const keepIn = async (zone: string) => {
      const day = Math.floor(wallClock(T0, zone) / DAY_MS);
      await s.statsTotals(scope(startOfLocalDay(day, zone), startOfLocalDay(day + 1, zone), { zone }));
      await options.settle?.(s);
    };
    /** Expected breakdown rows of a question that does not ask for identified visitors. */
    const unidentified = (rows: ReturnType<typeof refBreakdown>) =>
      rows.map((r) => ({ ...r, totals: { ...r.totals, identifiedVisitors: 0 } }));
    const ref = (q: StatsScope) => ({
      pixelIds: q.pixelIds,
      startMs: q.startMs,
      endMs: q.endMs,
      ...(q.filter ? { filter: q.filter } : {}),
    });

    it('the dataset exercises what it should', () => {
      const inRange = refTotals(visits, ref(scope(T0, T0 + DAYS * DAY_MS)), identities);
      expect(inRange.visits).toBeGreaterThan(100);
      expect(inRange.visitors).toBeGreaterThan(20);
      expect(inRange.bounces).toBeGreaterThan(5);
      expect(inRange.identifiedVisitors).toBeGreaterThan(3);
      // Visits that run past a UTC midnight are split in two.
      expect(new Set(visits.map((v) => v.key.split('|')[1])).size).toBeLessThan(visits.length);
    });

    it('totals of whole periods, in UTC and in local days of other zones', async () => {
      for (const zone of ZONES) {
        await keepIn(zone);
        const first = Math.floor(wallClock(T0, zone) / DAY_MS) + 1;
        for (const [a, b] of [
          [first, first + 1],
          [first, first + 3],
          [first + 2, first + 5],
          [first - 1, first + DAYS + 1],
        ] as const) {
          const q = scope(startOfLocalDay(a, zone), startOfLocalDay(b, zone));
          expect(await s.statsTotals(q), `${zone} days ${a}..${b}`).toEqual(refTotals(visits, ref(q), identities));
          // The same days named as the project's (day rollups where an engine keeps them).
          expect(await s.statsTotals({ ...q, zone }), `${zone} days ${a}..${b}, in the zone`).toEqual(
            refTotals(visits, ref(q), identities),
          );
          expect(await s.statsTotals({ ...q, zone, identified: false }), `${zone} days ${a}..${b}, in the zone`).toEqual({
            ...refTotals(visits, ref(q), identities),
            identifiedVisitors: 0,
          });
        }
      }
    }, 120_000);

    it('totals over arbitrary instants, one pixel, and nothing for another organization', async () => {
      const q = scope(T0 + 5 * HOUR_MS + 17, T0 + 3 * DAY_MS + 1234);
      expect(await s.statsTotals(q)).toEqual(refTotals(visits, ref(q), identities));
      const one = scope(T0, T0 + DAYS * DAY_MS, { pixelIds: [data.pixels[1]] });
      expect(await s.statsTotals(one)).toEqual(refTotals(visits, ref(one), identities));
      const foreign = await s.statsTotals({ ...scope(T0, T0 + DAYS * DAY_MS), pixelIds: [data.otherPixel] });
      expect(foreign.visits).toBe(0);
      const stranger = await s.statsTotals({ ...scope(T0, T0 + DAYS * DAY_MS), organizationId: data.otherOrg });
      expect(stranger.visits).toBe(0);
      expect(await s.statsTotals(scope(T0, T0))).toMatchObject({ visits: 0, visitors: 0 });
      expect((await s.statsTotals({ ...scope(T0, T0 + DAY_MS), identified: false })).identifiedVisitors).toBe(0);
    });

    it('time series per hour, day, week and month in each zone', async () => {
      for (const zone of ZONES) {
        const first = Math.floor(wallClock(T0, zone) / DAY_MS);
        const startMs = startOfLocalDay(first, zone);
        const endMs = startOfLocalDay(first + DAYS + 1, zone);
        const q = scope(startMs, endMs);
        await keepIn(zone);
        for (const unit of ['hour', 'day', 'week', 'month'] as const) {
          const want = refTimeseries(visits, ref(q), bucketOf(unit, zone), identities);
          const got = await s.statsTimeseries(q, { unit, offsets: offsetPieces(startMs, endMs, zone) });
          expect(got, `${zone} per ${unit}`).toEqual(want);
          for (const pixelIds of [data.pixels, [data.pixels[0]]]) {
            const one = { ...q, pixelIds, zone };
            const wanted = refTimeseries(visits, ref(one), bucketOf(unit, zone), identities);
            expect(
              await s.statsTimeseries(one, { unit, offsets: offsetPieces(startMs, endMs, zone) }),
              `${zone} per ${unit} in the zone`,
            ).toEqual(wanted);
          }
        }
      }
      // The month key is year * 12 + month index.
      expect(firstDayOfMonth(monthOfDay(T0 / DAY_MS))).toBe(Date.UTC(2026, 2, 1) / DAY_MS);
    }, 120_000);

    it('breaks down by every property, ordered by visitors, visits, then value', async () => {
      const q = scope(T0, T0 + DAYS * DAY_MS);
      for (const property of STATS_PROPERTIES) {
        const got = await s.statsBreakdown(q, { property, limit: 1000, offset: 0 });
        expect(got.rows, property).toEqual(refBreakdown(visits, ref(q), property, identities));
        expect(got.more).toBe(false);
      }
    }, 120_000);

    it('breaks down by every property in local days of each zone, one pixel or two, and networks of one type', async () => {
      for (const zone of ZONES) {
        await keepIn(zone);
        const first = Math.floor(wallClock(T0, zone) / DAY_MS) + 1;
        // Two pixels (a visitor may be counted on both), or one (each visitor's row counted).
        for (const pixelIds of zone === 'America/New_York' ? [[data.pixels[0]]] : [data.pixels]) {
          const q = scope(startOfLocalDay(first, zone), startOfLocalDay(first + 4, zone), { pixelIds, zone, identified: false });
          for (const property of STATS_PROPERTIES) {
            const got = await s.statsBreakdown(q, { property, limit: 1000, offset: 0 });
            expect(got.rows, `${zone} ${property}`).toEqual(unidentified(refBreakdown(visits, ref(q), property, identities)));
          }
          const paged = await s.statsBreakdown(q, { property: 'page', limit: 2, offset: 1 });
          expect(paged.rows).toEqual(unidentified(refBreakdown(visits, ref(q), 'page', identities)).slice(1, 3));
          for (const type of ['business', 'isp', null]) {
            const filter: StatsFilter = [[{ property: 'network_type', op: 'eq', value: type }]];
            const got = await s.statsBreakdown({ ...q, filter }, { property: 'network', limit: 1000, offset: 0 });
            expect(got.rows, `${zone} networks of type ${type}`).toEqual(
              unidentified(refBreakdown(visits, ref({ ...q, filter }), 'network', identities)),
            );
          }
        }
      }
    }, 120_000);

    it("breaks down a clicked row's visits by every property in local days of each zone", async () => {
      for (const zone of ZONES) {
        await keepIn(zone);
        const first = Math.floor(wallClock(T0, zone) / DAY_MS) + 1;
        const q = scope(startOfLocalDay(first, zone), startOfLocalDay(first + 4, zone), { zone, identified: false });
        for (const filter of [
          [[{ property: 'page', op: 'eq', value: '/pricing' }]],
          [[{ property: 'source', op: 'eq', value: 'Google' }]],
        ] as StatsFilter[]) {
          const clicked = { ...q, filter };
          expect(refTotals(visits, ref(clicked), identities).visits, JSON.stringify(filter)).toBeGreaterThan(0);
          for (const property of STATS_PROPERTIES) {
            const got = await s.statsBreakdown(clicked, { property, limit: 1000, offset: 0 });
            expect(got.rows, `${zone} ${JSON.stringify(filter)} by ${property}`).toEqual(
              unidentified(refBreakdown(visits, ref(clicked), property, identities)),
            );
          }
        }
        // A clicked page's company networks (network_type:eq:business, kept by page) and its other types.
        let networks = 0;
        for (const type of ['business', 'isp', 'hosting']) {
          const panel = {
            ...q,
            filter: [
              [
                { property: 'page', op: 'eq', value: '/pricing' },
                { property: 'network_type', op: 'eq', value: type },
              ],
            ] as StatsFilter,
          };
          const want = unidentified(refBreakdown(visits, ref(panel), 'network', identities));
          networks += want.length;
          expect(
            (await s.statsBreakdown(panel, { property: 'network', limit: 1000, offset: 0 })).rows,
            `${zone} ${type} of /pricing`,
          ).toEqual(want);
        }
        expect(networks).toBeGreaterThan(0);
        // The dashboard's panels that ask for rows with a value (utm_campaign:not_null), alone and
        // with a clicked page: no null row, the others exact.
        for (const property of ['utm_campaign', 'country', 'device', 'source', 'referrer'] as const) {
          const hasValue = { property, op: 'not_null' as const, value: null };
          const clicks = [
            [[hasValue]],
            [[{ property: 'page', op: 'eq', value: '/pricing' }, hasValue]],
            ...(property === 'source' ? [] : [[[{ property: 'source', op: 'eq', value: 'Google' }, hasValue]]]),
          ] as StatsFilter[];
          for (const filter of clicks) {
            const panel = { ...q, filter };
            const want = unidentified(refBreakdown(visits, ref(panel), property, identities));
            expect(want.length, `${zone} ${JSON.stringify(filter)}`).toBeGreaterThan(0);
            expect(want.some((r) => r.value === null)).toBe(false);
            const got = await s.statsBreakdown(panel, { property, limit: 1000, offset: 0 });
            expect(got.rows, `${zone} ${JSON.stringify(filter)} by ${property}`).toEqual(want);
          }
        }
      }
    }, 120_000);

    it('keeps its day rollups in the zone asked last: a changed zone answers exactly at once and after the rebuild', async () => {
      for (const zone of ['Asia/Kolkata', 'UTC', 'Asia/Kolkata']) {
        const first = Math.floor(wallClock(T0, zone) / DAY_MS) + 1;
        const q = scope(startOfLocalDay(first, zone), startOfLocalDay(first + 5, zone), { zone });
        const want = refTotals(visits, ref(q), identities);
        expect(await s.statsTotals(q), `${zone} before its rollups`).toEqual(want);
        await options.settle?.(s);
        expect(await s.statsTotals(q), `${zone} from its rollups`).toEqual(want);
        const series = await s.statsTimeseries(q, { unit: 'day', offsets: offsetPieces(q.startMs, q.endMs, zone) });
        expect(series, zone).toEqual(refTimeseries(visits, ref(q), bucketOf('day', zone), identities));
      }
    }, 120_000);

    it('pages through a breakdown', async () => {
      const q = scope(T0, T0 + DAYS * DAY_MS);
      const all = refBreakdown(visits, ref(q), 'page', identities);
      const page = await s.statsBreakdown(q, { property: 'page', limit: 2, offset: 2 });
      expect(page.rows).toEqual(all.slice(2, 4));
      expect(page.more).toBe(true);
      const last = await s.statsBreakdown(q, { property: 'page', limit: 10, offset: all.length - 1 });
      expect(last).toEqual({ rows: all.slice(-1), more: false });
    });

    const filters: [string, StatsFilter][] = [
      ['a page', [[{ property: 'page', op: 'eq', value: '/pricing' }]]],
      ['a source', [[{ property: 'source', op: 'eq', value: 'Google' }]]],
      ['a channel or a country', [[{ property: 'channel', op: 'eq', value: 'Direct' }], [{ property: 'country', op: 'eq', value: 'DE' }]]],
      [
        'a page and a device',
        [
          [
            { property: 'page', op: 'like', value: '/docs/%' },
            { property: 'device', op: 'eq', value: 'mobile' },
          ],
        ],
      ],
      ['an event type', [[{ property: 'event_type', op: 'eq', value: 'click' }]]],
      [
        'a page or an event type (two event-level properties)',
        [[{ property: 'page', op: 'eq', value: '/pricing' }], [{ property: 'event_type', op: 'eq', value: 'form_submission' }]],
      ],
      ['a page or a source', [[{ property: 'page', op: 'eq', value: '/about' }], [{ property: 'source', op: 'eq', value: 'X' }]]],
      ['no UTM campaign', [[{ property: 'utm_campaign', op: 'eq', value: null }]]],
      ['not an entry page', [[{ property: 'entry_page', op: 'ne', value: '/' }]]],
      ['an identified company', [[{ property: 'company', op: 'not_null', value: null }]]],
      ['a network type', [[{ property: 'network_type', op: 'eq', value: 'business' }]]],
      ['a city with a quote', [[{ property: 'city', op: 'gte', value: "O'" }]]],
    ];

    it.each(filters)('filters by %s: totals, series and breakdowns', async (_label, filter) => {
      const q = scope(T0 + DAY_MS, T0 + 6 * DAY_MS, { filter });
      const expected = refTotals(visits, ref(q), identities);
      expect(expected.visits).toBeGreaterThan(0);
      expect(await s.statsTotals(q)).toEqual(expected);
      const zone = 'America/New_York';
      expect(await s.statsTimeseries(q, { unit: 'day', offsets: offsetPieces(q.startMs, q.endMs, zone) })).toEqual(
        refTimeseries(visits, ref(q), bucketOf('day', zone), identities),
      );
      for (const property of ['page', 'source', 'event_type', 'company', 'country'] as const) {
        expect((await s.statsBreakdown(q, { property, limit: 1000, offset: 0 })).rows, property).toEqual(
          refBreakdown(visits, ref(q), property, identities),
        );
      }
    });

    it('counts realtime visitors over raw events', async () => {
      const inWindow = raw(data.rows).filter(
        (e) => e.organization_id === data.org && !e.is_bot && e.ts_millis >= T0 + DAY_MS && e.ts_millis <= T0 + DAY_MS + HOUR_MS,
      );
      const expected = new Set(inWindow.map((e) => e.visitor_id).filter((v) => v !== null)).size;
      expect(await s.statsRealtimeVisitors(data.org, data.pixels, T0 + DAY_MS, T0 + DAY_MS + HOUR_MS)).toBe(expected);
      expect(await s.statsRealtimeVisitors(data.org, [], T0, T0 + DAY_MS)).toBe(0);
    });

    it('stays exact after a retention delete cuts into a day, and once everything is folded', async () => {
      const cut = T0 + 2 * DAY_MS + 11 * HOUR_MS;
      await s.deleteEventsBefore(data.org, [data.pixels[1]], cut);
      const remaining = raw(data.rows).filter((e) => !(e.pixel_id === data.pixels[1] && e.ts_millis < cut));
      visits = visitsOf(remaining, identities);
      const q = scope(T0, T0 + DAYS * DAY_MS);
      const zone = 'America/New_York';
      const first = Math.floor(wallClock(T0, zone) / DAY_MS);
      const local = scope(startOfLocalDay(first, zone), startOfLocalDay(first + DAYS + 1, zone), { zone });
      const check = async (when: string) => {
        expect(await s.statsTotals(q), when).toEqual(refTotals(visits, ref(q), identities));
        expect(await s.statsTotals(local), `${when}, in ${zone}`).toEqual(refTotals(visits, ref(local), identities));
        expect(
          await s.statsTimeseries(local, { unit: 'day', offsets: offsetPieces(local.startMs, local.endMs, zone) }),
          `${when}, per day`,
        ).toEqual(refTimeseries(visits, ref(local), bucketOf('day', zone), identities));
        for (const property of ['entry_page', 'exit_page', 'page', 'source', 'event_type'] as const) {
          expect((await s.statsBreakdown(q, { property, limit: 100, offset: 0 })).rows, `${when}: ${property}`).toEqual(
            refBreakdown(visits, ref(q), property, identities),
          );
          expect(
            (await s.statsBreakdown({ ...local, identified: false }, { property, limit: 100, offset: 0 })).rows,
            `${when}: ${property} in ${zone}`,
          ).toEqual(unidentified(refBreakdown(visits, ref(local), property, identities)));
        }
      };
      // Day rollups kept in the zone before the delete, so the delete corrects them.
      await keepIn(zone);
      await check('after the delete');
      await options.fold?.(s);
      await check('folded');
    }, 120_000);

    it('answers the same once the raw events are folded into the rollups', async () => {
      await options.fold?.(s);
      const filter: StatsFilter = [[{ property: 'page', op: 'eq', value: '/pricing' }]];
      for (const zone of ZONES) {
        const first = Math.floor(wallClock(T0, zone) / DAY_MS);
        const q = scope(startOfLocalDay(first, zone), startOfLocalDay(first + DAYS + 1, zone));
        expect(await s.statsTotals(q), zone).toEqual(refTotals(visits, ref(q), identities));
        expect(await s.statsTotals({ ...q, filter }), `${zone} filtered`).toEqual(refTotals(visits, ref({ ...q, filter }), identities));
        const got = await s.statsTimeseries(q, { unit: 'day', offsets: offsetPieces(q.startMs, q.endMs, zone) });
        expect(got, `${zone} per day`).toEqual(refTimeseries(visits, ref(q), bucketOf('day', zone), identities));
        await keepIn(zone);
        expect(await s.statsTotals({ ...q, zone }), `${zone}, in the zone`).toEqual(refTotals(visits, ref(q), identities));
        for (const unit of ['day', 'week'] as const) {
          expect(
            await s.statsTimeseries({ ...q, zone }, { unit, offsets: offsetPieces(q.startMs, q.endMs, zone) }),
            `${zone} per ${unit}`,
          ).toEqual(refTimeseries(visits, ref(q), bucketOf(unit, zone), identities));
        }
      }
      const q = scope(T0, T0 + DAYS * DAY_MS);
      await keepIn('UTC');
      for (const property of STATS_PROPERTIES) {
        expect((await s.statsBreakdown(q, { property, limit: 1000, offset: 0 })).rows, property).toEqual(
          refBreakdown(visits, ref(q), property, identities),
        );
        expect(
          (await s.statsBreakdown({ ...q, zone: 'UTC', identified: false }, { property, limit: 1000, offset: 0 })).rows,
          property,
        ).toEqual(unidentified(refBreakdown(visits, ref(q), property, identities)));
      }
    }, 120_000);

    it('keeps the day rollups exact through folds of events on days already rolled up', async () => {
      // A new visit and a new event of a stored visit, on days the day rollups hold; read before and after the fold.
      const zone = 'Asia/Kolkata';
      await keepIn(zone);
      const first = Math.floor(wallClock(T0, zone) / DAY_MS);
      const q = scope(startOfLocalDay(first, zone), startOfLocalDay(first + DAYS + 1, zone), { zone });
      const stored = data.rows.find(
        (e) => e.session_id !== null && !e.is_bot && e.pixel_id === data.pixels[0] && e.ts_millis > T0 + 3 * DAY_MS,
      );
      if (!stored) throw new Error('no stored event to extend');
      const more: EventRow[] = [
        // Earlier than every event of its visit: it becomes the visit's first (another visitor, another page).
        eventRow({
          ...stored,
          event_id: `late-${randomUUID().slice(0, 8)}`,
          ts_millis: Math.floor(stored.ts_millis / DAY_MS) * DAY_MS + 1,
          visitor_id: 'late-visitor',
          path: '/late',
          event_type: 'page_view',
          referrer: 'https://www.bing.com/',
        }),
        eventRow({
          ...stored,
          event_id: `new-${randomUUID().slice(0, 8)}`,
          session_id: `new-${randomUUID().slice(0, 8)}`,
          ts_millis: T0 + 4 * DAY_MS + 3 * HOUR_MS,
          path: '/new',
          event_type: 'page_view',
        }),
      ];
      await s.appendEvents(more);
      data.rows.push(...more);
      visits = visitsOf(
        raw(data.rows.filter((e) => !(e.pixel_id === data.pixels[1] && e.ts_millis < T0 + 2 * DAY_MS + 11 * HOUR_MS))),
        identities,
      );
      const check = async (when: string) => {
        expect(await s.statsTotals(q), when).toEqual(refTotals(visits, ref(q), identities));
        expect(await s.statsTimeseries(q, { unit: 'day', offsets: offsetPieces(q.startMs, q.endMs, zone) }), `${when} per day`).toEqual(
          refTimeseries(visits, ref(q), bucketOf('day', zone), identities),
        );
        for (const property of ['page', 'entry_page', 'source', 'event_type'] as const) {
          expect(
            (await s.statsBreakdown({ ...q, identified: false }, { property, limit: 1000, offset: 0 })).rows,
            `${when} ${property}`,
          ).toEqual(unidentified(refBreakdown(visits, ref(q), property, identities)));
        }
      };
      await check('not folded yet');
      await options.fold?.(s);
      await check('folded');
    }, 120_000);
  });
}
