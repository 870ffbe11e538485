// DuckDB's day rollups (analytics/duckdb-stats-days.ts) beyond the shared contract: periods that
// cross a 64-day block of the visitor masks, visitors on two pixels, a fold that changes a visit's
// first event (and so its visitor and source) on days the rollups hold, and a retention delete, each
// answered in the zone (day rollups) and compared with the same question without it (visit rows).
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { blockMask } from '../../src/analytics/duckdb-stats-days.js';
import { STATS_PROPERTIES, type StatsProperty, type StatsScope } from '../../src/analytics/stats.js';
import type { EventRow } from '../../src/analytics/types.js';
import { seededRandom } from '../../src/platform/random.js';
import { DAY_MS, HOUR_MS, localDay, offsetPieces, startOfLocalDay } from '../../src/platform/time-zone.js';
import { eventRow } from '../support/events.js';

describe('blockMask', () => {
  it('sets the bits of the days inside the block, none outside', () => {
    expect(blockMask(1, 64, 64)).toBe(1n);
    expect(blockMask(1, 60, 66)).toBe(0b111n);
    expect(blockMask(0, 60, 66)).toBe(0b1111n << 60n);
    expect(blockMask(0, 0, 63)).toBe((1n << 64n) - 1n);
    expect(blockMask(2, 0, 127)).toBe(0n);
    expect(blockMask(1, 100, 90)).toBe(0n);
  });
});

const ZONE = 'America/New_York';
/** The properties asked in most cases (every one once): event-level, visit-level, derived. */
const SOME: readonly StatsProperty[] = ['page', 'event_type', 'entry_page', 'source', 'country', 'network'];
// 2026-03-25 is local day 20537; its block (64 days) ends on day 20543 (2026-03-31).
const FIRST_DAY = 20_530;
const DAYS = 20;

describe('DuckDB day rollups', () => {
  let store: DuckDbAnalyticsStore;
  const org = randomUUID();
  const pixels = [randomUUID(), randomUUID()];
  const rows: EventRow[] = [];

  beforeAll(async () => {
    store = new DuckDbAnalyticsStore(join(mkdtempSync(join(tmpdir(), 'delivr-stats-days-')), 'analytics.duckdb'), {
      statsFoldDelayMs: 3_600_000,
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
    const filter = [[{ property: 'network_type' as const, op: 'eq' as const, value: 'business' }]];
    const b = { property: 'network' as const, limit: 10, offset: 0 };
    expect(await store.statsBreakdown({ ...z, filter }, b), `${when} business networks`).toEqual(
      await store.statsBreakdown({ ...q, filter }, b),
    );
  }

  it('answers across a block boundary, for one pixel and two, as the visit rows do', async () => {
    await store.statsTotals({ ...scope(FIRST_DAY, FIRST_DAY, pixels), zone: ZONE });
    await store.settleStats();
    for (const pixelIds of [pixels, [pixels[0] as string]]) {
      await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixelIds), 'across the block', pixelIds.length > 1 ? STATS_PROPERTIES : SOME);
      await same(scope(FIRST_DAY + 2, FIRST_DAY + 9, pixelIds), 'inside one block');
      await same(scope(FIRST_DAY + 14, FIRST_DAY + 14, pixelIds), 'one day after the boundary');
    }
    expect(localDay(startOfLocalDay(FIRST_DAY + 14, ZONE), ZONE) % 64).toBeLessThan(14);
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
    await store.deleteEventsBefore(org, [pixels[0] as string], startOfLocalDay(FIRST_DAY + 5, ZONE) + 3 * HOUR_MS);
    await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, pixels), 'after a retention delete');
    await same(scope(FIRST_DAY, FIRST_DAY + DAYS - 1, [pixels[0] as string]), 'after a retention delete, one pixel');
  }, 180_000);
});
