// The Stats API end to end: events sent through the pixel endpoint, read back raw through the Events
// API, and every stat the Stats API (key + secret) and the dashboard's routes give for them equal to
// the plain computation of test/analytics/stats-reference.ts over those raw rows. Then the project's
// time zone, the parameters' errors, the legacy-token rule, the CSV export and its formula escaping.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, formatDay, localDay, startOfLocalDay } from '../../src/platform/time-zone.js';
import { type RawEvent, refBreakdown, refTimeseries, refTotals, visitsOf } from '../analytics/stats-reference.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { createKey, dash, dataToken, json, newTenant, type Tenant } from '../support/tenant.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const ZONE = 'Asia/Kolkata';
const SITE = 'https://shop.example';

describe('Stats API', () => {
  let t: TestApp;
  let owner: Tenant;
  let other: Tenant;
  let key: { apiKey: string; apiSecret: string };
  let projectId = '';
  let pixelId = '';
  let otherPixel = '';
  let raw: RawEvent[] = [];
  const now = Date.now();

  const keyGet = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ url, headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret, ...headers } });

  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_PER_SECOND: '10000', RATE_LIMIT_BURST: '10000' });
    owner = await newTenant(t);
    other = await newTenant(t);
    key = await createKey(t, owner);
    const project = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${owner.orgId}/projects`,
      headers: dash(owner.session),
      payload: { name: 'shop', time_zone: ZONE },
    });
    expect(project.statusCode, project.body).toBe(201);
    projectId = json<{ project: { project_id: string; time_zone: string } }>(project).project.project_id;
    expect(json<{ project: { time_zone: string } }>(project).project.time_zone).toBe(ZONE);
    const pixel = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}/pixels`,
      headers: dash(owner.session),
      payload: { title: 'www' },
    });
    pixelId = json<{ pixel: { pixel_id: string } }>(pixel).pixel.pixel_id;
    const otherProject = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${other.orgId}/projects`,
      headers: dash(other.session),
      payload: { name: 'theirs' },
    });
    const otherProjectId = json<{ project: { project_id: string } }>(otherProject).project.project_id;
    otherPixel = json<{ pixel: { pixel_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${other.orgId}/projects/${otherProjectId}/pixels`,
        headers: dash(other.session),
        payload: { title: 'theirs' },
      }),
    ).pixel.pixel_id;

    // Visits over the last 20 hours (the ingest takes client times within a day of its own).
    const events: Record<string, unknown>[] = [];
    const visit = (
      visitor: string,
      startAgoMin: number,
      pages: string[],
      extra: { referrer?: string; utm?: string; ua?: string; ip?: string; clicks?: number } = {},
    ) => {
      const session = randomUUID().replaceAll('-', '');
      let ts = now - startAgoMin * 60_000;
      pages.forEach((page, i) => {
        const url = `${SITE}${page}${i === 0 && extra.utm ? `?utm_source=${extra.utm}&utm_medium=email&utm_campaign=%3DHYPERLINK("x")` : ''}`;
        events.push({
          event_type: 'page_view',
          pixel_id: pixelId,
          organization_id: owner.orgId,
          event_url: url,
          referrer: i === 0 ? (extra.referrer ?? null) : `${SITE}${pages[i - 1]}`,
          visitor_id: visitor,
          session_id: session,
          ts,
          user_agent: extra.ua ?? BROWSER,
          ip: extra.ip ?? '8.8.8.8',
        });
        for (let c = 0; c < (extra.clicks ?? 0); c++) {
          ts += 5_000;
          events.push({
            event_type: 'click',
            pixel_id: pixelId,
            organization_id: owner.orgId,
            event_url: url,
            visitor_id: visitor,
            session_id: session,
            ts,
            user_agent: extra.ua ?? BROWSER,
            ip: extra.ip ?? '8.8.8.8',
          });
        }
        ts += 45_000;
      });
    };
    visit('ann', 1190, ['/', '/pricing'], { referrer: 'https://www.google.com/' });
    visit('ann', 400, ['/pricing'], { utm: 'newsletter' });
    visit('bob', 900, ['/'], { referrer: 'https://www.linkedin.com/feed/', ua: PHONE, ip: '81.2.69.160' });
    visit('bob', 30, ['/docs', '/pricing', '/'], { clicks: 1, ua: PHONE, ip: '81.2.69.160' });
    visit('cid', 700, ['/docs'], { referrer: 'https://news.example.org/a' });
    visit('cid', 3, ['/'], {});
    visit('bot', 60, ['/', '/pricing'], { ua: BOT });
    for (let i = 0; i < events.length; i += 50) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/pixel/core/api/send-event',
        headers: { 'user-agent': BROWSER },
        payload: { events: events.slice(i, i + 50) },
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    // The raw rows, bots included, as the Events API gives them.
    const exported = await keyGet(
      `/api/v2/events/export?source=pixel&pixel_id=${pixelId}&start_ms=${now - 2 * DAY_MS}&end_ms=${now + DAY_MS}&include_bots=true`,
    );
    expect(exported.statusCode, exported.body).toBe(200);
    raw = exported.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RawEvent);
    expect(raw.length).toBe(events.length);
  }, 60_000);
  afterAll(async () => t?.close());

  const today = () => localDay(Date.now(), ZONE);
  const q = (params: Record<string, string>) => new URLSearchParams({ pixel_id: pixelId, ...params }).toString();
  const ALL = 'visitors,visits,pageviews,events,bounce_rate,visit_duration,views_per_visit,identified_visitors';

  it('aggregate equals what the raw rows say, with the previous period', async () => {
    const visits = visitsOf(raw);
    const range = { pixelIds: [pixelId], startMs: startOfLocalDay(today() - 6, ZONE), endMs: startOfLocalDay(today() + 1, ZONE) };
    const ref = refTotals(visits, range);
    expect(ref.visitors).toBe(3);
    expect(ref.visits).toBe(6);
    const res = await keyGet(`/api/v1/stats/aggregate?${q({ period: '7d', metrics: ALL, compare: 'previous_period' })}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = json<{ results: Record<string, { value: number; previous: number; change: number }>; range: Record<string, unknown> }>(
      res,
    );
    expect(body.results).toEqual({
      visitors: { value: 3, previous: 0, change: 100 },
      visits: { value: 6, previous: 0, change: 100 },
      pageviews: { value: ref.pageviews, previous: 0, change: 100 },
      events: { value: ref.events, previous: 0, change: 100 },
      bounce_rate: {
        value: Math.round((100 * ref.bounces) / ref.visits),
        previous: 0,
        change: Math.round((100 * ref.bounces) / ref.visits),
      },
      visit_duration: { value: Math.round(ref.durationMs / ref.visits / 1000), previous: 0, change: 100 },
      views_per_visit: { value: Math.round((100 * ref.pageviews) / ref.visits) / 100, previous: 0, change: 100 },
      identified_visitors: { value: 0, previous: 0, change: 0 },
    });
    expect(body.range).toEqual({
      time_zone: ZONE,
      from: formatDay(today() - 6),
      to: formatDay(today()),
      start_ms: range.startMs,
      end_ms: range.endMs,
    });
    // The dashboard's route answers the same for a member's session.
    const viaSession = await t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/stats/aggregate?${q({ period: '7d', metrics: ALL, compare: 'previous_period' })}`,
      headers: dash(owner.session),
    });
    expect(json(viaSession)).toEqual(body);
  });

  it('timeseries per hour of today and per day of the week, in the project’s days', async () => {
    const visits = visitsOf(raw);
    const day = today();
    const hourly = await keyGet(`/api/v1/stats/timeseries?${q({ period: 'day', metrics: 'visitors,pageviews' })}`);
    expect(hourly.statusCode, hourly.body).toBe(200);
    const h = json<{ results: { date: string; start_ms: number; visitors: number; pageviews: number }[]; interval: string }>(hourly);
    expect(h.interval).toBe('hour');
    expect(h.results).toHaveLength(24);
    expect(h.results[0]?.date).toBe(`${formatDay(day)} 00:00:00`);
    const start = startOfLocalDay(day, ZONE);
    const expected = refTimeseries(visits, { pixelIds: [pixelId], startMs: start, endMs: start + DAY_MS }, (ms) =>
      Math.floor((ms - start) / 3_600_000),
    );
    for (const r of expected) {
      expect(h.results[r.bucket]).toMatchObject({ visitors: r.totals.visitors, pageviews: r.totals.pageviews });
    }
    expect(h.results.reduce((n, r) => n + r.pageviews, 0)).toBe(expected.reduce((n, r) => n + r.totals.pageviews, 0));

    const daily = json<{ results: { date: string; visitors: number }[] }>(await keyGet(`/api/v1/stats/timeseries?${q({ period: '7d' })}`));
    expect(daily.results.map((r) => r.date)).toEqual(Array.from({ length: 7 }, (_, i) => formatDay(day - 6 + i)));
    const byDay = refTimeseries(
      visits,
      { pixelIds: [pixelId], startMs: startOfLocalDay(day - 6, ZONE), endMs: startOfLocalDay(day + 1, ZONE) },
      (ms) => localDay(ms, ZONE),
    );
    for (const r of byDay) expect(daily.results.find((x) => x.date === formatDay(r.bucket))?.visitors).toBe(r.totals.visitors);
  });

  it('breakdowns equal what the raw rows say; filters narrow every number', async () => {
    const visits = visitsOf(raw);
    const range = { pixelIds: [pixelId], startMs: startOfLocalDay(today() - 6, ZONE), endMs: startOfLocalDay(today() + 1, ZONE) };
    for (const property of ['page', 'source', 'country', 'device', 'entry_page', 'utm_source', 'channel'] as const) {
      const res = await keyGet(
        `/api/v1/stats/breakdown?${q({ period: '7d', property, metrics: 'visitors,visits,pageviews,bounce_rate' })}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      const rows = json<{ results: Record<string, unknown>[] }>(res).results;
      expect(rows, property).toEqual(
        refBreakdown(visits, range, property).map((r) => ({
          [property]: r.value === '' ? null : r.value,
          visitors: r.totals.visitors,
          visits: r.totals.visits,
          pageviews: r.totals.pageviews,
          bounce_rate: Math.round((100 * r.totals.bounces) / r.totals.visits),
        })),
      );
    }
    const pages = json<{ results: { page: string; visitors: number }[] }>(
      await keyGet(`/api/v1/stats/breakdown?${q({ period: '7d', property: 'event:page' })}`),
    );
    expect(pages.results[0]).toEqual({ page: '/', visitors: 3 });
    const sources = json<{ results: { source: string }[] }>(
      await keyGet(`/api/v1/stats/breakdown?${q({ period: '7d', property: 'visit:source' })}`),
    );
    expect(sources.results.map((r) => r.source).sort()).toEqual(['Direct / None', 'Google', 'LinkedIn', 'news.example.org', 'newsletter']);

    const filter = [[{ property: 'page' as const, op: 'eq' as const, value: '/docs' }]];
    const filtered = json<{ results: Record<string, { value: number }> }>(
      await keyGet(`/api/v1/stats/aggregate?${q({ period: '7d', metrics: 'visitors,visits,pageviews', filters: 'page:eq:/docs' })}`),
    );
    const ref = refTotals(visits, { ...range, filter });
    expect(filtered.results).toEqual({
      visitors: { value: ref.visitors },
      visits: { value: ref.visits },
      pageviews: { value: ref.pageviews },
    });
    expect(ref.visitors).toBe(2);
  });

  it('counts the visitors of the last five minutes', async () => {
    const res = await keyGet(`/api/v1/stats/realtime/visitors?pixel_id=${pixelId}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toBe(1);
    expect(json(await keyGet(`/api/v1/stats/realtime/visitors?project_id=${projectId}`))).toBe(1);
  });

  it('counts days in the project’s time zone, which the dashboard can change', async () => {
    const set = await t.app.inject({
      method: 'PATCH',
      url: `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}`,
      headers: dash(owner.session),
      payload: { time_zone: 'america/los_angeles' },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(json<{ project: { time_zone: string; name: string } }>(set).project).toMatchObject({
      time_zone: 'America/Los_Angeles',
      name: 'shop',
    });
    const body = json<{ range: { time_zone: string; start_ms: number } }>(
      await keyGet(`/api/v1/stats/aggregate?project_id=${projectId}&period=day`),
    );
    expect(body.range.time_zone).toBe('America/Los_Angeles');
    expect(body.range.start_ms).toBe(startOfLocalDay(localDay(Date.now(), 'America/Los_Angeles'), 'America/Los_Angeles'));
    const bad = await t.app.inject({
      method: 'PATCH',
      url: `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}`,
      headers: dash(owner.session),
      payload: { time_zone: 'Mars/Olympus_Mons' },
    });
    expect(bad.statusCode).toBe(400);
    expect(json<{ details: string }>(bad).details).toMatch(/IANA time zone/);
    const back = await t.app.inject({
      method: 'PATCH',
      url: `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}`,
      headers: dash(owner.session),
      payload: { time_zone: ZONE },
    });
    expect(back.statusCode).toBe(200);
  });

  it.each([
    ['no scope', 'period=7d', /pixel_id or project_id/],
    ['an unknown period', `pixel_id=PX&period=week`, /period/],
    ['custom without dates', 'pixel_id=PX&period=custom', /date=YYYY-MM-DD,YYYY-MM-DD/],
    ['custom backwards', 'pixel_id=PX&period=custom&date=2026-02-10,2026-02-01', /before its first/],
    ['custom too long', 'pixel_id=PX&period=custom&date=2024-01-01,2026-01-01', /at most 400 days/],
    ['a bad date', 'pixel_id=PX&date=2026-02-30', /YYYY-MM-DD/],
    ['an unknown metric', 'pixel_id=PX&metrics=visitors,clicks', /unknown metric "clicks"/],
    ['a filter on an unknown property', 'pixel_id=PX&filters=path:eq:/x', /unknown property "path"/],
    ['a broken filter', 'pixel_id=PX&filters=page:eq', /missing value/],
  ])('refuses %s with a 400 that says why', async (_label, query, details) => {
    const res = await keyGet(`/api/v1/stats/aggregate?${query.replace('PX', pixelId)}`);
    expect(res.statusCode, res.body).toBe(400);
    expect(json(res)).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
    expect(json<{ details: string }>(res).details).toMatch(details);
  });

  it('refuses an unknown breakdown property and an hourly series over more than a week', async () => {
    const prop = await keyGet(`/api/v1/stats/breakdown?${q({ property: 'visit:planet' })}`);
    expect(prop.statusCode).toBe(400);
    expect(json<{ details: string }>(prop).details).toMatch(/unknown property "visit:planet"/);
    const hours = await keyGet(`/api/v1/stats/timeseries?${q({ period: '30d', interval: 'hour' })}`);
    expect(hours.statusCode).toBe(400);
  });

  it('answers 404 for another organization’s pixel or project', async () => {
    for (const url of [`/api/v1/stats/aggregate?pixel_id=${otherPixel}`, `/api/v1/stats/breakdown?pixel_id=${otherPixel}&property=page`]) {
      const res = await keyGet(url);
      expect(res.statusCode, res.body).toBe(404);
    }
  });

  it('gives a legacy user token without x-organization-id no identity', async () => {
    const jwt = await dataToken(t, owner);
    const bare = await t.app.inject({
      url: `/api/v1/stats/breakdown?${q({ property: 'company' })}`,
      headers: { authorization: `Bearer ${jwt}` },
    });
    expect(bare.statusCode).toBe(400);
    const named = await t.app.inject({
      url: `/api/v1/stats/breakdown?${q({ property: 'company' })}`,
      headers: { authorization: `Bearer ${jwt}`, 'x-organization-id': owner.orgId },
    });
    expect(named.statusCode, named.body).toBe(200);
    const plain = await t.app.inject({ url: `/api/v1/stats/aggregate?${q({})}`, headers: { authorization: `Bearer ${jwt}` } });
    expect(plain.statusCode).toBe(200);
  });

  it('exports a panel as CSV with spreadsheet formulas defused', async () => {
    const res = await t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/stats/export?${q({ period: '7d', property: 'utm_campaign', metrics: 'visitors,visits' })}`,
      headers: dash(owner.session),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="utm_campaign-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"$/);
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe('utm_campaign,visitors,visits');
    expect(lines).toContain(`"'=HYPERLINK(""x"")",1,1`);
    const series = await t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/stats/export?${q({ period: '7d', metrics: 'visitors' })}`,
      headers: dash(owner.session),
    });
    expect(series.body.split('\r\n')[0]).toBe('date,visitors');
    expect(series.body.trim().split('\r\n')).toHaveLength(8);
  });
});
