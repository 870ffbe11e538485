// The one contract every AnalyticsStore adapter must pass (DuckDB here, ClickHouse later), so the
// engines cannot drift apart the way hand-kept twin queries do. Engine-neutral: it talks only to the
// interface, and each test writes under fresh organization and pixel ids, so suites may share a
// database and run in any order.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/analytics/filter.js';
import { GroupCommitter } from '../../src/analytics/group-commit.js';
import {
  type AnalyticsStore,
  EVENT_FIELDS,
  type EventQuery,
  type EventRow,
  type FieldName,
  type Filter,
} from '../../src/analytics/types.js';
import { derivedEventId, EventDeduper } from '../../src/collect/dedupe.js';
import { audienceContract } from './audience-contract.js';
import { identityWritesContract } from './contract-identity.js';
import { identityContract } from './identity-contract.js';
import { intentContract } from './intent-contract.js';

const T0 = Date.UTC(2026, 0, 15, 0, 0, 0);
const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Registers the suite. `makeStore` returns null when the backend is not configured (no server in
 * this environment); the suite is then skipped with a line saying why. Await it at the top level.
 */
export async function runAnalyticsContract(name: string, makeStore: () => Promise<AnalyticsStore | null>): Promise<void> {
  const store = await makeStore();
  if (!store) {
    console.log(`[analytics contract] ${name}: skipped, backend not configured`);
    describe.skip(`analytics contract: ${name} (not configured)`, () => {
      it('needs a configured backend', () => undefined);
    });
    return;
  }
  const s: AnalyticsStore = store;

  describe(`analytics contract: ${name}`, () => {
    beforeAll(async () => {
      await s.init();
      // A second init must be harmless: every process start calls it.
      await s.init();
    });
    afterAll(async () => {
      await s.close();
    });

    identityWritesContract(s);

    describe('appendEvents and queryEvents', () => {
      it('round-trips every field type, including nulls and awkward strings', async () => {
        const t = tenant();
        const full = row(t, 0, {
          visitor_id: 'visitor-ünïcødé-日本語-🦆',
          session_id: 'sess "quoted" \'single\'',
          url: 'https://example.com/a?b=1&c=%20,|:"',
          path: 'C:\\windows\\path\\',
          referrer: 'back\\slash and "quote" and \\" both',
          title: 'x'.repeat(10_000),
          user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
          browser: 'Firefox',
          os: 'Linux',
          device_type: 'desktop',
          ip: '2001:db8::1',
          language: 'de-DE',
          screen_width: 2147483647,
          screen_height: -2147483648,
          utm_source: "it's",
          utm_medium: 'tab\there\nnewline',
          utm_campaign: '',
          utm_term: 'null',
          utm_content: 'SELECT 1; --',
          event_data: JSON.stringify({ nested: { a: [1, 2, 3] }, s: 'ü"\\' }),
          is_bot: true,
          resolved: true,
          hem_sha256: 'a'.repeat(64),
          country: 'CI',
          region: "Côte d'Ivoire \\ région",
          city: 'São Paulo / 東京 "quoted"',
          asn: 4_294_967_295,
          network_org: 'Org, Inc. ("the" org)',
          network_type: 'business',
          // Control characters and JSON's line separators: DuckDB's page reads each row as JSON.
          heading: 'ctl \u0001\u001f\u007f \u2028\u2029 end \\u0041',
          received_millis: 9_007_199_254_740_991,
        });
        const empty = row(t, 1, nullsFor({ is_bot: false, resolved: null }));
        const falsy = row(t, 2, { screen_width: 0, screen_height: 0, resolved: false, is_bot: false });
        await s.appendEvents([full, empty, falsy]);

        const got = await s.queryEvents({ ...t.q, limit: 10 });
        expect(got).toEqual([full, empty, falsy]);
        for (const record of got) expect(Object.keys(record).sort()).toEqual(EVENT_FIELDS.map((f) => f.name).sort());
      });

      it('treats an empty batch as a no-op', async () => {
        const t = tenant();
        await s.appendEvents([]);
        expect(await s.countEvents(t.q)).toBe(0);
      });

      it('rejects a batch with an invalid row and stores none of it', async () => {
        const t = tenant();
        const bad = { ...row(t, 1), event_id: null } as unknown as EventRow;
        await expect(s.appendEvents([row(t, 0), bad, row(t, 2)])).rejects.toThrow();
        expect(await s.countEvents(t.q)).toBe(0);
        await s.appendEvents([row(t, 3)]);
        expect(await s.countEvents(t.q)).toBe(1);
      });

      it('appends a few thousand rows in one batch', async () => {
        const t = tenant();
        const rows = Array.from({ length: 5000 }, (_, i) => row(t, i));
        await s.appendEvents(rows);
        expect(await s.countEvents(t.q)).toBe(5000);
        const last = await s.queryEvents({ ...t.q, limit: 1, offset: 4999, select: ['event_id'] });
        expect(last).toEqual([{ event_id: rows[4999]?.event_id }]);
      });

      it('returns nothing for an organization or pixel without data', async () => {
        const t = tenant();
        expect(await s.queryEvents({ ...t.q, limit: 10 })).toEqual([]);
        expect(await s.countEvents(t.q)).toBe(0);
        expect(await s.countByBucket(t.q, 'day')).toEqual([]);
        expect(await s.countEvents({ ...t.q, distinct: ['visitor_id'] })).toBe(0);
      });
    });

    describe('scoping', () => {
      it('never shows one organization the rows of another, even under the same pixel id', async () => {
        const a = tenant();
        const b = { ...tenant(), pixel: a.pixel };
        b.q = { ...b.q, pixelIds: [a.pixel] };
        await s.appendEvents([row(a, 0, { title: 'A' }), row(a, 1, { title: 'A' })]);
        await s.appendEvents([row(b, 2, { title: 'B' })]);

        const seenByB = await s.queryEvents({ ...b.q, limit: 10 });
        expect(seenByB.map((r) => r.title)).toEqual(['B']);
        expect(await s.countEvents(b.q)).toBe(1);
        expect(await s.countEvents({ ...b.q, filter: must('title:eq:A') })).toBe(0);
        expect(await s.countByBucket(b.q, 'day')).toEqual([{ bucket_start_ms: T0, count: 1 }]);
        expect(await s.countEvents(a.q)).toBe(2);
      });

      it('returns only the pixels asked for', async () => {
        const t = tenant();
        const other = randomUUID();
        await s.appendEvents([row(t, 0), row(t, 1, { pixel_id: other }), row(t, 2, { pixel_id: other })]);
        expect(await s.countEvents(t.q)).toBe(1);
        expect(await s.countEvents({ ...t.q, pixelIds: [other] })).toBe(2);
        expect(await s.countEvents({ ...t.q, pixelIds: [t.pixel, other] })).toBe(3);
        expect(await s.queryEvents({ ...t.q, pixelIds: [], limit: 10 })).toEqual([]);
        expect(await s.countEvents({ ...t.q, pixelIds: [] })).toBe(0);
        expect(await s.countByBucket({ ...t.q, pixelIds: [] }, 'hour')).toEqual([]);
      });

      it('includes both time bounds and nothing outside them', async () => {
        const t = tenant();
        const start = T0 + 10 * HOUR;
        const end = start + 25 * HOUR;
        await s.appendEvents([
          row(t, 0, { ts_millis: start - 1, title: 'before' }),
          row(t, 1, { ts_millis: start, title: 'start' }),
          row(t, 2, { ts_millis: end, title: 'end' }),
          row(t, 3, { ts_millis: end + 1, title: 'after' }),
        ]);
        const q = { ...t.q, startMs: start, endMs: end };
        expect((await s.queryEvents({ ...q, limit: 10 })).map((r) => r.title)).toEqual(['start', 'end']);
        expect(await s.countEvents(q)).toBe(2);
        expect(await s.countEvents({ ...q, startMs: end, endMs: end })).toBe(1);
        expect(await s.countEvents({ ...q, startMs: end, endMs: start })).toBe(0);
      });
    });

    describe('filters', () => {
      // Rows chosen so that each operator's answer differs from its neighbours' (and lexical order
      // differs from numeric order for the integer fields).
      const fixture = async () => {
        const t = tenant();
        await s.appendEvents([
          row(t, 0, {
            event_type: 'page_view',
            url: 'https://a.example/x',
            screen_width: 9,
            browser: 'Chrome',
            resolved: true,
            utm_source: null,
          }),
          row(t, 1, {
            event_type: 'page_view',
            url: 'https://b.example/y',
            screen_width: 10,
            browser: 'Firefox',
            resolved: false,
            utm_source: '',
          }),
          row(t, 2, { event_type: 'click', url: null, screen_width: 100, browser: 'chrome', resolved: null, utm_source: 'news, letter|x' }),
          row(t, 3, {
            event_type: 'identify',
            url: 'https://a.example/100% sure',
            screen_width: null,
            browser: null,
            resolved: true,
            utm_source: 'ads',
          }),
        ]);
        const ids = async (filter: string): Promise<number[]> => {
          const got = await s.queryEvents({ ...t.q, filter: must(filter), limit: 100, select: ['event_id'] });
          return got.map((r) => Number(String(r.event_id).split('-').pop()));
        };
        return { t, ids };
      };

      it('eq and ne, with SQL null semantics', async () => {
        const { ids } = await fixture();
        expect(await ids('event_type:eq:page_view')).toEqual([0, 1]);
        expect(await ids('event_type:ne:page_view')).toEqual([2, 3]);
        expect(await ids('browser:eq:Chrome')).toEqual([0]);
        expect(await ids('browser:ne:Chrome')).toEqual([1, 2]);
        expect(await ids('url:eq:https://a.example/x')).toEqual([0]);
        expect(await ids('utm_source:eq:""')).toEqual([1]);
        expect(await ids('utm_source:ne:""')).toEqual([2, 3]);
        expect(await ids('utm_source:eq:"news, letter|x"')).toEqual([2]);
      });

      it('null literal: eq:null is IS NULL, ne:null is IS NOT NULL', async () => {
        const { ids } = await fixture();
        expect(await ids('url:eq:null')).toEqual([2]);
        expect(await ids('url:ne:null')).toEqual([0, 1, 3]);
        expect(await ids('resolved:eq:null')).toEqual([2]);
        expect(await ids('screen_width:eq:null')).toEqual([3]);
        expect(await ids('utm_source:eq:"null"')).toEqual([]);
      });

      it('not_null', async () => {
        const { ids } = await fixture();
        expect(await ids('utm_source:not_null')).toEqual([1, 2, 3]);
        expect(await ids('screen_width:not_null:')).toEqual([0, 1, 2]);
      });

      it('like, case-sensitive, with % and _ wildcards and \\ escapes', async () => {
        const { ids } = await fixture();
        expect(await ids('url:like:https://a.example/%')).toEqual([0, 3]);
        expect(await ids('browser:like:%hrome')).toEqual([0, 2]);
        expect(await ids('browser:like:C%')).toEqual([0]);
        expect(await ids('browser:like:_hrome')).toEqual([0, 2]);
        expect(await ids('url:like:%100\\% sure')).toEqual([3]);
        expect(await ids('url:like:%10\\%%')).toEqual([]);
      });

      it('like across newlines, and patterns that backtrack run in time linear in the text', async () => {
        const t = tenant();
        // DuckDB's own LIKE took over 2 s for `%_%_zz` on 20,000 such rows and never finished `%_%_%_%_%_%_%_%_zz`.
        const url = (i: number) =>
          `https://www.example-${i % 100}.com/some/long/path/to/a/page/${randomUUID()}?utm_source=news&x=${'e'.repeat(40)}`;
        await s.appendEvents(Array.from({ length: 5000 }, (_, i) => row(t, i, { url: url(i), title: 'line one\nline two' })));
        const started = Date.now();
        expect(await s.countEvents({ ...t.q, filter: must('url:like:%_%_%_%_%_%_%_%_zz') })).toBe(0);
        expect(await s.countEvents({ ...t.q, filter: must('url:like:%e%e%e%e%e%e%e%e%zz') })).toBe(0);
        expect(await s.countEvents({ ...t.q, filter: must('url:like:https://www.example-1_.com/%') })).toBe(500);
        expect(await s.countEvents({ ...t.q, filter: must('title:like:line%two') })).toBe(5000);
        expect(Date.now() - started).toBeLessThan(5000);
      });

      it('gt, gte, lt, lte compare integers numerically and text lexically', async () => {
        const { ids } = await fixture();
        expect(await ids('screen_width:gt:9')).toEqual([1, 2]);
        expect(await ids('screen_width:gte:10')).toEqual([1, 2]);
        expect(await ids('screen_width:lt:10')).toEqual([0]);
        expect(await ids('screen_width:lte:100')).toEqual([0, 1, 2]);
        expect(await ids('screen_width:gt:-1')).toEqual([0, 1, 2]);
        expect(await ids('browser:gt:Chrome')).toEqual([1, 2]);
        expect(await ids('browser:lt:Firefox')).toEqual([0]);
        expect(await ids('browser:gte:chrome')).toEqual([2]);
        expect(await ids('browser:lte:Firefox')).toEqual([0, 1]);
        expect(await ids(`ts_millis:gte:${T0 + 2000}`)).toEqual([2, 3]);
      });

      it('booleans accept true and false, quoted or not', async () => {
        const { ids } = await fixture();
        expect(await ids('resolved:eq:true')).toEqual([0, 3]);
        expect(await ids('resolved:eq:"false"')).toEqual([1]);
        expect(await ids('resolved:ne:true')).toEqual([1]);
        expect(await ids('is_bot:eq:false')).toEqual([0, 1, 2, 3]);
      });

      it('combines AND within a group and OR between groups', async () => {
        const { ids } = await fixture();
        expect(await ids('event_type:eq:page_view,resolved:eq:true')).toEqual([0]);
        expect(await ids('event_type:eq:page_view,resolved:eq:true|event_type:eq:click')).toEqual([0, 2]);
        expect(await ids('event_type:eq:click|event_type:eq:identify,screen_width:eq:null')).toEqual([2, 3]);
        expect(await ids('browser:eq:Chrome|browser:eq:Firefox|browser:eq:null')).toEqual([0, 1, 3]);
        expect(await ids('event_type:eq:page_view,event_type:eq:click')).toEqual([]);
      });

      it('applies the filter to counts and buckets too', async () => {
        const { t } = await fixture();
        const filter = must('event_type:eq:page_view');
        expect(await s.countEvents({ ...t.q, filter })).toBe(2);
        expect(await s.countByBucket({ ...t.q, filter }, 'hour')).toEqual([{ bucket_start_ms: T0, count: 2 }]);
      });
    });

    describe('select and distinct', () => {
      it('select returns exactly the fields asked for, in any order', async () => {
        const t = tenant();
        const r0 = row(t, 0, { screen_width: 5, is_bot: true, resolved: null });
        await s.appendEvents([r0]);
        const got = await s.queryEvents({ ...t.q, limit: 10, select: ['resolved', 'screen_width', 'ts_millis', 'is_bot', 'url'] });
        expect(got).toEqual([{ resolved: null, screen_width: 5, ts_millis: r0.ts_millis, is_bot: true, url: r0.url }]);
      });

      it('distinct keeps the first row of each tuple in (ts_millis, event_id) order', async () => {
        const t = tenant();
        await s.appendEvents([
          row(t, 5, { visitor_id: 'v1', title: 'v1 later' }),
          row(t, 1, { visitor_id: 'v1', title: 'v1 first' }),
          row(t, 2, { visitor_id: 'v2', title: 'v2 first' }),
          row(t, 3, { visitor_id: null, title: 'null first' }),
          row(t, 4, { visitor_id: null, title: 'null later' }),
          row(t, 6, { visitor_id: 'v2', title: 'v2 later' }),
        ]);
        const got = await s.queryEvents({ ...t.q, limit: 10, distinct: ['visitor_id'], select: ['visitor_id', 'title'] });
        expect(got).toEqual([
          { visitor_id: 'v1', title: 'v1 first' },
          { visitor_id: 'v2', title: 'v2 first' },
          { visitor_id: null, title: 'null first' },
        ]);
        expect(await s.countEvents({ ...t.q, distinct: ['visitor_id'] })).toBe(3);
        const all = await s.queryEvents({ ...t.q, limit: 10, distinct: ['visitor_id'] });
        expect(all.map((r) => r.title)).toEqual(['v1 first', 'v2 first', 'null first']);
      });

      it('distinct breaks ties on ts_millis by event_id', async () => {
        const t = tenant();
        await s.appendEvents([
          row(t, 0, { event_id: `${t.pixel}-b`, visitor_id: 'v', title: 'b' }),
          row(t, 0, { event_id: `${t.pixel}-a`, visitor_id: 'v', title: 'a' }),
        ]);
        const got = await s.queryEvents({ ...t.q, limit: 10, distinct: ['visitor_id'], select: ['title'] });
        expect(got).toEqual([{ title: 'a' }]);
      });

      it('distinct over several fields, with filter and paging', async () => {
        const t = tenant();
        const rows = Array.from({ length: 40 }, (_, i) =>
          row(t, i, { visitor_id: `v${i % 4}`, event_type: i % 2 === 0 ? 'page_view' : 'click' }),
        );
        await s.appendEvents(rows);
        const distinct: FieldName[] = ['visitor_id', 'event_type'];
        expect(await s.countEvents({ ...t.q, distinct })).toBe(4);
        expect(await s.countEvents({ ...t.q, distinct: ['event_type'] })).toBe(2);
        expect(await s.countEvents({ ...t.q, distinct, filter: must('event_type:eq:click') })).toBe(2);
        const first = await s.queryEvents({ ...t.q, distinct, limit: 2, select: ['event_id'] });
        const second = await s.queryEvents({ ...t.q, distinct, limit: 2, offset: 2, select: ['event_id'] });
        expect([...first, ...second].map((r) => r.event_id)).toEqual(rows.slice(0, 4).map((r) => r.event_id));
        const afterKey = rows[1] as EventRow;
        const keyset = await s.queryEvents({
          ...t.q,
          distinct,
          limit: 10,
          select: ['event_id'],
          after: { ts_millis: afterKey.ts_millis, event_id: afterKey.event_id },
        });
        expect(keyset.map((r) => r.event_id)).toEqual(rows.slice(2, 4).map((r) => r.event_id));
      });
    });

    describe('paging', () => {
      const fixture = async () => {
        const t = tenant();
        // Ties on ts_millis, inserted out of order, so ordering must come from (ts_millis, event_id).
        const rows = Array.from({ length: 25 }, (_, i) =>
          row(t, Math.floor(i / 3), { event_id: `${t.pixel}-${String(i).padStart(3, '0')}` }),
        );
        await s.appendEvents([...rows].reverse());
        return { t, rows };
      };

      it('orders by (ts_millis, event_id) and pages with limit and offset', async () => {
        const { t, rows } = await fixture();
        const ids = rows.map((r) => r.event_id);
        const all = await s.queryEvents({ ...t.q, limit: 100, select: ['event_id'] });
        expect(all.map((r) => r.event_id)).toEqual(ids);
        const pages: unknown[] = [];
        for (let offset = 0; offset < 30; offset += 7) {
          const page = await s.queryEvents({ ...t.q, limit: 7, offset, select: ['event_id'] });
          pages.push(...page.map((r) => r.event_id));
        }
        expect(pages).toEqual(ids);
        expect(await s.queryEvents({ ...t.q, limit: 5, offset: 25 })).toEqual([]);
        expect(await s.queryEvents({ ...t.q, limit: 0 })).toEqual([]);
      });

      it('pages with a keyset cursor strictly after (ts_millis, event_id)', async () => {
        const { t, rows } = await fixture();
        const seen: string[] = [];
        let after: { ts_millis: number; event_id: string } | undefined;
        for (;;) {
          const page = await s.queryEvents({ ...t.q, limit: 4, select: ['event_id', 'ts_millis'], ...(after ? { after } : {}) });
          if (page.length === 0) break;
          seen.push(...page.map((r) => String(r.event_id)));
          const last = page[page.length - 1];
          after = { ts_millis: Number(last?.ts_millis), event_id: String(last?.event_id) };
        }
        expect(seen).toEqual(rows.map((r) => r.event_id));
        const mid = rows[10] as EventRow;
        const rest = await s.queryEvents({
          ...t.q,
          limit: 100,
          select: ['event_id'],
          after: { ts_millis: mid.ts_millis, event_id: mid.event_id },
        });
        expect(rest.map((r) => r.event_id)).toEqual(rows.slice(11).map((r) => r.event_id));
      });

      it('pages the same over a range of hours, wherever in it the rows are (DuckDB first reads its first five minutes, then its first hour)', async () => {
        const t = tenant();
        // 20 rows in the first hour with ties right at the end of its first five minutes and at its
        // own end, none in the next hours, 20 late in the day.
        const seconds = [
          0,
          150,
          299,
          299,
          300,
          300,
          ...Array.from({ length: 18 }, (_, i) => (i + 2) * 150),
          3599,
          3599,
          3600,
          3600,
          3601,
          ...Array.from({ length: 20 }, (_, i) => 5 * 3600 + i * 60),
        ];
        const rows = seconds.map((sec, i) => row(t, i, { ts_millis: T0 + sec * 1000 }));
        await s.appendEvents([...rows].reverse());
        const ids = (from = 0) => rows.slice(from).map((r) => r.event_id);
        const pageIds = async (q: EventQuery & { limit: number; offset?: number }) =>
          (await s.queryEvents({ ...q, select: ['event_id'] })).map((r) => r.event_id);
        expect(await pageIds({ ...t.q, limit: 100 })).toEqual(ids());
        for (const limit of [1, 3, 4, 5, 7, 20, 21, 22, 26]) {
          const paged: unknown[] = [];
          for (let offset = 0; offset < rows.length; offset += limit) paged.push(...(await pageIds({ ...t.q, limit, offset })));
          expect(paged, `limit ${limit}`).toEqual(ids());
        }
        let after: { ts_millis: number; event_id: string } | undefined;
        const seen: unknown[] = [];
        for (;;) {
          const page = await s.queryEvents({ ...t.q, limit: 6, select: ['event_id', 'ts_millis'], ...(after ? { after } : {}) });
          if (page.length === 0) break;
          seen.push(...page.map((r) => r.event_id));
          const last = page[page.length - 1];
          after = { ts_millis: Number(last?.ts_millis), event_id: String(last?.event_id) };
        }
        expect(seen).toEqual(ids());
        // A range starting half-way through the first hour; one whose first hour holds no row.
        const from = (sec: number) => ids(seconds.findIndex((x) => x >= sec)).slice(0, 8);
        expect(await pageIds({ ...t.q, startMs: T0 + 1800 * 1000, limit: 8 })).toEqual(from(1800));
        expect(await pageIds({ ...t.q, startMs: T0 + 2 * HOUR, limit: 8 })).toEqual(from(2 * 3600));
        // Ranges whose first five minutes hold the page, exactly the page, or one row short of it.
        for (const limit of [2, 4, 5, 6])
          expect(await pageIds({ ...t.q, limit }), `first minutes, limit ${limit}`).toEqual(ids().slice(0, limit));
        expect(await pageIds({ ...t.q, startMs: T0 + 200 * 1000, limit: 3, offset: 1 })).toEqual(ids(2).slice(1, 4));
        // The same through the plan that joins links and profiles (a filter on a resolved field).
        const unresolved = { ...t.q, raw: false, filter: f('resolved:eq:false') };
        for (const limit of [7, 22]) {
          const paged: unknown[] = [];
          for (let offset = 0; offset < rows.length; offset += limit) paged.push(...(await pageIds({ ...unresolved, limit, offset })));
          expect(paged, `joined, limit ${limit}`).toEqual(ids());
        }
      });
    });

    describe('location and network columns', () => {
      it('filters on country, region, city, asn, network_org and network_type like any other column', async () => {
        const t = tenant();
        await s.appendEvents([
          row(t, 0),
          row(t, 1, {
            country: 'US',
            region: 'California',
            city: 'Mountain View',
            asn: 15169,
            network_org: 'Google LLC',
            network_type: 'hosting',
          }),
          row(t, 2, {
            country: 'US',
            region: 'Massachusetts',
            city: 'Cambridge',
            asn: 3,
            network_org: 'Massachusetts Institute of Technology',
            network_type: 'business',
          }),
          row(t, 3, { country: null, region: null, city: null, asn: null, network_org: null, network_type: null }),
        ]);
        const ids = async (filter: string): Promise<number[]> => {
          const got = await s.queryEvents({ ...t.q, filter: must(filter), limit: 100, select: ['event_id'] });
          return got.map((r) => Number(String(r.event_id).split('-').pop()));
        };
        expect(await ids('country:eq:US')).toEqual([1, 2]);
        expect(await ids('country:eq:null')).toEqual([3]);
        expect(await ids('region:eq:Land Berlin')).toEqual([0]);
        expect(await ids('city:like:%bridge')).toEqual([2]);
        expect(await ids('asn:gt:3000')).toEqual([0, 1]);
        expect(await ids('asn:eq:3')).toEqual([2]);
        expect(await ids('network_org:eq:"Google LLC"')).toEqual([1]);
        expect(await ids('network_type:eq:business|network_type:eq:isp')).toEqual([0, 2]);
        expect(await ids('network_type:not_null')).toEqual([0, 1, 2]);
        expect(await s.countEvents({ ...t.q, distinct: ['country'] })).toBe(3);
        const got = await s.queryEvents({ ...t.q, limit: 1, offset: 1, select: ['asn', 'network_type', 'city'] });
        expect(got).toEqual([{ asn: 15169, network_type: 'hosting', city: 'Mountain View' }]);
      });
    });

    describe('event ids for the ingest dedupe', () => {
      it('findEventIds answers which ids are stored for the organization and pixels, within the time bounds', async () => {
        const t = tenant();
        const a = derivedEventId(t.pixel, 'a');
        const b = derivedEventId(t.pixel, 'b');
        await s.appendEvents([row(t, 0, { event_id: a }), row(t, 5, { event_id: b })]);
        const q = { organizationId: t.org, pixelIds: [t.pixel], startMs: T0, endMs: T0 + DAY, receivedSinceMs: T0 };
        const missing = derivedEventId(t.pixel, 'missing');
        expect(await s.findEventIds({ ...q, eventIds: [a, b, missing] })).toEqual(new Set([a, b]));
        // ts bounds narrow it: b is at T0 + 5 s.
        expect(await s.findEventIds({ ...q, eventIds: [a, b], startMs: T0 + 1000, endMs: T0 + 5000 })).toEqual(new Set([b]));
        expect(await s.findEventIds({ ...q, eventIds: [a, b], startMs: T0, endMs: T0 })).toEqual(new Set([a]));
        // So do arrival time, organization and pixel.
        expect(await s.findEventIds({ ...q, eventIds: [a, b], receivedSinceMs: T0 + 1000 })).toEqual(new Set([b]));
        expect(await s.findEventIds({ ...q, eventIds: [a, b], organizationId: randomUUID() })).toEqual(new Set());
        expect(await s.findEventIds({ ...q, eventIds: [a, b], pixelIds: [randomUUID()] })).toEqual(new Set());
        expect(await s.findEventIds({ ...q, eventIds: [] })).toEqual(new Set());
        expect(await s.findEventIds({ ...q, eventIds: ["x' OR '1'='1"] })).toEqual(new Set());
      });

      it('scanDerivedEventIds lists the client-derived ids received since a time, and no server-made ones', async () => {
        const t = tenant();
        const early = derivedEventId(t.pixel, 'early');
        const late = derivedEventId(t.pixel, 'late');
        const serverMade = randomUUID();
        await s.appendEvents([
          row(t, 0, { event_id: early, received_millis: T0 - DAY }),
          row(t, 1, { event_id: late, received_millis: T0 + 10 }),
          row(t, 2, { event_id: serverMade, received_millis: T0 + 10 }),
        ]);
        const seen = new Map<string, number>();
        await s.scanDerivedEventIds(T0, (id, at) => seen.set(id, at));
        expect(seen.get(late)).toBe(T0 + 10);
        expect(seen.has(early)).toBe(false);
        expect(seen.has(serverMade)).toBe(false);
        for (const id of seen.keys()) expect(id[14]).toBe('8');
      });

      it('stores an event once: copies in one batch, in concurrent batches and after a restart of the deduper', async () => {
        const t = tenant();
        let now = T0 + 60_000;
        const clock = () => now;
        const committer = new GroupCommitter(s, { maxDelayMs: 2, maxRows: 1000 });
        const deduper = new EventDeduper(s, { soleWriter: s.engine === 'duckdb', now: clock });
        await deduper.warm();
        const copy = (clientId: string, i: number) => row(t, i, { event_id: derivedEventId(t.pixel, clientId), received_millis: now });
        const store = (rows: EventRow[]) =>
          deduper.storeOnce(
            rows,
            rows.map(() => true),
            (fresh) => committer.submit(fresh),
          );

        // Two copies in one request, and a server-made id alongside.
        expect(await store([copy('one', 1), copy('one', 1), row(t, 2, { event_id: randomUUID(), received_millis: now })])).toEqual(
          new Set([1]),
        );
        // Copies in concurrent requests, which the group commit may put in one batch or in two.
        const results = await Promise.all([store([copy('two', 3)]), store([copy('two', 3)]), store([copy('two', 3), copy('three', 4)])]);
        expect(results.map((r) => r.size)).toEqual([0, 1, 1]);
        // Again later, from a fresh deduper as after a restart (or on another process).
        now += 3_600_000;
        const restarted = new EventDeduper(s, { soleWriter: s.engine === 'duckdb', now: clock });
        await restarted.warm();
        const again = [copy('one', 1), copy('two', 3), copy('three', 4), copy('four', 5)];
        expect(
          await restarted.storeOnce(
            again,
            again.map(() => true),
            (fresh) => committer.submit(fresh),
          ),
        ).toEqual(new Set([0, 1, 2]));
        // A deduper still loading the window (ingest starts before that is done) asks the store.
        const loading = new EventDeduper(s, { soleWriter: s.engine === 'duckdb', now: clock });
        expect(await loading.storeOnce([copy('four', 5)], [true], (fresh) => committer.submit(fresh))).toEqual(new Set([0]));
        await committer.close();

        const stored = await s.queryEvents({ ...t.q, limit: 100, select: ['event_id'] });
        expect(stored).toHaveLength(5);
        expect(new Set(stored.map((r) => r.event_id)).size).toBe(5);
        // Past the 24-hour window the same id is a new event.
        now += DAY;
        const late = new EventDeduper(s, { soleWriter: s.engine === 'duckdb', now: clock });
        await late.warm();
        const lateCommitter = new GroupCommitter(s, { maxDelayMs: 2 });
        expect((await late.storeOnce([copy('one', 1)], [true], (fresh) => lateCommitter.submit(fresh))).size).toBe(0);
        await lateCommitter.close();
      });
    });

    describe('retention: deleteEventsBefore', () => {
      it('deletes only the given pixels’ events before the instant, in the given organization, and says how many', async () => {
        const t = tenant();
        const other = randomUUID();
        const stranger = tenant();
        const cut = T0 + 10 * DAY;
        const at = (ts: number, i: number, over: Partial<EventRow> = {}) =>
          row(t, i, { ts_millis: ts, event_id: `${t.pixel}-${i}`, ...over });
        await s.appendEvents([
          at(T0, 1),
          at(cut - 1, 2),
          at(cut, 3), // exactly at the instant: kept
          at(cut + DAY, 4),
          at(T0, 5, { pixel_id: other }), // another pixel of the same organization: not asked for
        ]);
        // Another organization's event under the same pixel id, also old.
        await s.appendEvents([row(stranger, 1, { ts_millis: T0, pixel_id: t.pixel, event_id: `${stranger.pixel}-x` })]);
        const all = { organizationId: t.org, pixelIds: [t.pixel, other], startMs: 0, endMs: cut + 2 * DAY, raw: true } as const;
        expect(await s.countEvents(all)).toBe(5);

        expect(await s.deleteEventsBefore(t.org, [t.pixel], cut)).toBe(2);
        const left = await s.queryEvents({ ...all, limit: 100, offset: 0 });
        expect(left.map((r) => r.event_id).sort()).toEqual([`${t.pixel}-3`, `${t.pixel}-4`, `${t.pixel}-5`].sort());
        expect(await s.countEvents({ ...all, organizationId: stranger.org, pixelIds: [t.pixel] })).toBe(1);
        // Nothing left to delete: a second pass is a no-op, and no pixels means nothing at all.
        expect(await s.deleteEventsBefore(t.org, [t.pixel], cut)).toBe(0);
        expect(await s.deleteEventsBefore(t.org, [], cut + 10 * DAY)).toBe(0);
        expect(await s.countEvents(all)).toBe(3);
        // Several pixels in one call.
        expect(await s.deleteEventsBefore(t.org, [t.pixel, other], cut + 10 * DAY)).toBe(3);
        expect(await s.countEvents(all)).toBe(0);
      });
    });

    describe('countByBucket', () => {
      it('counts per UTC hour and day, ascending, without empty buckets', async () => {
        const t = tenant();
        const times = [
          T0, // day 0, hour 0
          T0 + HOUR - 1, // day 0, hour 0
          T0 + HOUR, // day 0, hour 1
          T0 + DAY - 1, // day 0, hour 23
          T0 + DAY, // day 1, hour 0
          T0 + 3 * DAY + 5 * HOUR + 17, // day 3, hour 5
          T0 + 3 * DAY + 5 * HOUR + 18,
        ];
        await s.appendEvents(times.map((ts, i) => row(t, 0, { ts_millis: ts, event_id: `${t.pixel}-${i}` })));
        const q = { ...t.q, endMs: T0 + 10 * DAY };
        expect(await s.countByBucket(q, 'day')).toEqual([
          { bucket_start_ms: T0, count: 4 },
          { bucket_start_ms: T0 + DAY, count: 1 },
          { bucket_start_ms: T0 + 3 * DAY, count: 2 },
        ]);
        expect(await s.countByBucket(q, 'hour')).toEqual([
          { bucket_start_ms: T0, count: 2 },
          { bucket_start_ms: T0 + HOUR, count: 1 },
          { bucket_start_ms: T0 + 23 * HOUR, count: 1 },
          { bucket_start_ms: T0 + DAY, count: 1 },
          { bucket_start_ms: T0 + 3 * DAY + 5 * HOUR, count: 2 },
        ]);
        // Buckets are UTC: a window starting mid-day still reports whole-day bucket starts.
        expect(await s.countByBucket({ ...q, startMs: T0 + 12 * HOUR }, 'day')).toEqual([
          { bucket_start_ms: T0, count: 1 },
          { bucket_start_ms: T0 + DAY, count: 1 },
          { bucket_start_ms: T0 + 3 * DAY, count: 2 },
        ]);
      });

      it('with distinct, counts distinct tuples within each bucket', async () => {
        const t = tenant();
        await s.appendEvents([
          row(t, 0, { ts_millis: T0 + 1, visitor_id: 'a' }),
          row(t, 1, { ts_millis: T0 + 2, visitor_id: 'a' }),
          row(t, 2, { ts_millis: T0 + 3, visitor_id: 'b' }),
          row(t, 3, { ts_millis: T0 + DAY, visitor_id: 'a' }),
          row(t, 4, { ts_millis: T0 + DAY + 1, visitor_id: null }),
          row(t, 5, { ts_millis: T0 + DAY + 2, visitor_id: null }),
        ]);
        const q = { ...t.q, endMs: T0 + 5 * DAY, distinct: ['visitor_id'] as FieldName[] };
        expect(await s.countByBucket(q, 'day')).toEqual([
          { bucket_start_ms: T0, count: 2 },
          { bucket_start_ms: T0 + DAY, count: 2 },
        ]);
        expect(await s.countEvents(q)).toBe(3);
      });
    });

    describe('countByValue', () => {
      it('counts per stored value, most frequent first then by value, NULL as a value, with filter and distinct', async () => {
        const t = tenant();
        await s.appendEvents([
          row(t, 0, { event_type: 'click', visitor_id: 'a' }),
          row(t, 1, { event_type: 'page_view', visitor_id: 'a' }),
          row(t, 2, { event_type: 'page_view', visitor_id: 'b' }),
          row(t, 3, { event_type: 'page_view', visitor_id: null }),
          row(t, 4, { event_type: 'form_submission', visitor_id: null }),
          row(t, 5, { event_type: 'click', visitor_id: 'b', is_bot: true }),
          row(t, 6, { event_type: 'page_view', visitor_id: 'a', ts_millis: T0 + 2 * DAY }),
        ]);
        expect(await s.countByValue(t.q, 'event_type')).toEqual([
          { value: 'page_view', count: 3 },
          { value: 'click', count: 2 },
          { value: 'form_submission', count: 1 },
        ]);
        expect(await s.countByValue(t.q, 'visitor_id')).toEqual([
          { value: 'a', count: 2 },
          { value: 'b', count: 2 },
          { value: null, count: 2 },
        ]);
        expect(await s.countByValue({ ...t.q, filter: f('is_bot:eq:false') }, 'is_bot')).toEqual([{ value: false, count: 5 }]);
        expect(await s.countByValue({ ...t.q, distinct: ['visitor_id'] }, 'event_type')).toEqual([
          { value: 'page_view', count: 3 },
          { value: 'click', count: 2 },
          { value: 'form_submission', count: 1 },
        ]);
        expect(await s.countByValue({ ...t.q, pixelIds: [] }, 'event_type')).toEqual([]);
      });

      it('groups by the resolved person: linked visitors, and a visitor-less event by its own HEM', async () => {
        const t = tenant();
        const q: EventQuery = { ...t.q, raw: false };
        const [ann, bob] = ['a'.repeat(64), 'b'.repeat(64)];
        await s.appendEvents([
          row(t, 0, { visitor_id: 'v-ann-1' }),
          row(t, 1, { visitor_id: 'v-ann-1', hem_sha256: ann }),
          row(t, 2, { visitor_id: 'v-ann-2' }),
          row(t, 3, { visitor_id: null, hem_sha256: ann }),
          row(t, 4, { visitor_id: 'v-bob' }),
          row(t, 5, { visitor_id: 'v-nobody' }),
        ]);
        await s.linkVisitors(t.org, [
          { visitor_id: 'v-ann-1', hem_sha256: ann, source: 'form', at: T0 + 1000 },
          { visitor_id: 'v-ann-2', hem_sha256: ann, source: 'import', at: T0 + 2000 },
          { visitor_id: 'v-bob', hem_sha256: bob, source: 'identify', at: T0 + 4000 },
        ]);
        expect(await s.countByValue(q, 'hem_sha256')).toEqual([
          { value: ann, count: 4 },
          { value: bob, count: 1 },
          { value: null, count: 1 },
        ]);
        expect(await s.countByValue({ ...q, filter: f(`hem_sha256:eq:${ann}|hem_sha256:eq:${bob}`) }, 'hem_sha256')).toEqual([
          { value: ann, count: 4 },
          { value: bob, count: 1 },
        ]);
        expect(await s.countByValue(q, 'resolved')).toEqual([
          { value: true, count: 5 },
          { value: false, count: 1 },
        ]);
        // Raw: the stored HEMs, as written.
        expect(await s.countByValue(t.q, 'hem_sha256')).toEqual([
          { value: null, count: 4 },
          { value: ann, count: 2 },
        ]);
        // A removed link moves that visitor's events back to no one.
        expect(await s.unlink(t.org, ann, 'v-ann-2')).toBe(true);
        expect(await s.countByValue(q, 'hem_sha256')).toEqual([
          { value: ann, count: 3 },
          { value: null, count: 2 },
          { value: bob, count: 1 },
        ]);
      });
    });

    identityContract(s);
    intentContract(s);
    audienceContract(s);
  });
}

function f(text: string): Filter {
  const r = parseFilter(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export interface Tenant {
  org: string;
  project: string;
  pixel: string;
  /** Scope over the first day after T0, which the default rows fall into. */
  q: EventQuery;
}

export function tenant(): Tenant {
  const org = randomUUID();
  const pixel = randomUUID();
  // Stored rows as they are: these sections check storage and the query grammar; resolution has its own suite.
  return { org, project: randomUUID(), pixel, q: { organizationId: org, pixelIds: [pixel], startMs: T0, endMs: T0 + DAY - 1, raw: true } };
}

/** An event `i` seconds after T0 whose event_id sorts (and parses back) by i. */
export function row(t: Tenant, i: number, over: Partial<EventRow> = {}): EventRow {
  return {
    event_id: `${t.pixel}-${String(i).padStart(6, '0')}`,
    event_type: 'page_view',
    ts_millis: T0 + i * 1000,
    received_millis: T0 + i * 1000 + 42,
    organization_id: t.org,
    project_id: t.project,
    pixel_id: t.pixel,
    visitor_id: 'visitor-1',
    session_id: 'session-1',
    url: 'https://example.com/',
    path: '/',
    referrer: null,
    title: 'Home',
    user_agent: 'Mozilla/5.0',
    browser: 'Chrome',
    os: 'macOS',
    device_type: 'desktop',
    ip: '203.0.113.7',
    language: 'en-US',
    screen_width: 1920,
    screen_height: 1080,
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_term: null,
    utm_content: null,
    event_data: '{}',
    is_bot: false,
    resolved: false,
    hem_sha256: null,
    country: 'DE',
    region: 'Land Berlin',
    city: 'Berlin',
    asn: 3320,
    network_org: 'Deutsche Telekom AG',
    network_type: 'isp',
    description: null,
    heading: null,
    ...over,
  };
}

/** Every nullable field set to null, plus the given non-null ones. */
function nullsFor(over: Partial<EventRow>): Partial<EventRow> {
  const nulls: Record<string, null> = {};
  for (const f of EVENT_FIELDS) if (f.nullable) nulls[f.name] = null;
  return { ...(nulls as Partial<EventRow>), ...over };
}

function must(filter: string): Filter {
  const parsed = parseFilter(filter);
  if (!parsed.ok) throw new Error(`test filter ${filter}: ${parsed.error}`);
  return parsed.value;
}
