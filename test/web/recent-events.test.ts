// The Events page's newest-first listing (EventsService.recent in src/events/service.ts): exact pages counted from
// the newest event across hour buckets, filters, and the same access rules as the other dashboard
// event routes (any member; other tenants 404; no session 401).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { addMember, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const N = 130;

let t: TestApp;
let a: Tenant;
let pixelId: string;
const now = Date.now();
const window = `start_ms=${now - 6 * 3_600_000}&end_ms=${now + 60_000}`;

interface Page {
  events: { visitor_id: string; event_type: string; ts_millis: number }[];
  count: number;
  page: number;
  has_more: boolean;
}

beforeAll(async () => {
  t = await makeTestApp();
  a = await newTenant(t);
  const project = json<{ project: { project_id: string } }>(
    await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${a.orgId}/projects`,
      headers: dash(a.session),
      payload: { name: 'site' },
    }),
  ).project.project_id;
  pixelId = json<{ pixel: { pixel_id: string } }>(
    await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${a.orgId}/projects/${project}/pixels`,
      headers: dash(a.session),
      payload: { title: 'main' },
    }),
  ).pixel.pixel_id;
  // Event i happens 2 minutes after event i-1: the 130 events span more than four hour buckets.
  const events = Array.from({ length: N }, (_, i) => ({
    event_type: i % 10 === 0 ? 'click' : 'page_view',
    event_data: { url: 'https://shop.example/' },
    pixel_id: pixelId,
    organization_id: a.orgId,
    visitor_id: `v-${i}`,
    event_url: 'https://shop.example/',
    ts: now - (N - i) * 120_000,
  }));
  for (let i = 0; i < N; i += 100) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, 'content-type': 'application/json' },
      payload: JSON.stringify({ events: events.slice(i, i + 100) }),
    });
    expect(res.statusCode, res.body).toBe(200);
  }
});
afterAll(async () => {
  await t?.close();
});

const recent = (tenant: Tenant, query: string, orgId = tenant.orgId) =>
  t.app.inject({ url: `/dashboard/api/orgs/${orgId}/recent-events?${window}&${query}`, headers: dash(tenant.session) });

describe('recent events, newest first', () => {
  it('pages from the newest event back, with no gaps or repeats', async () => {
    const seen: string[] = [];
    for (let page = 0; page < 3; page++) {
      const res = await recent(a, `pixel_id=${pixelId}&limit=50&page=${page}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = json<Page>(res);
      expect(body.count).toBe(N);
      expect(body.has_more).toBe(page < 2);
      const ts = body.events.map((e) => Number(e.ts_millis));
      expect(ts).toEqual([...ts].sort((x, y) => y - x));
      seen.push(...body.events.map((e) => e.visitor_id));
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => `v-${N - 1 - i}`));
    const past = json<Page>(await recent(a, `pixel_id=${pixelId}&limit=50&page=3`));
    expect(past).toMatchObject({ events: [], count: N, has_more: false });
  });

  it('applies the filter grammar and scopes to the whole organization without a pixel', async () => {
    const clicks = json<Page>(await recent(a, `limit=5&filter=${encodeURIComponent('event_type:eq:click')}`));
    expect(clicks.count).toBe(13);
    expect(clicks.events.map((e) => e.visitor_id)).toEqual(['v-120', 'v-110', 'v-100', 'v-90', 'v-80']);
    const bad = await recent(a, 'filter=nope:eq:1');
    expect(bad.statusCode).toBe(400);
    expect(json<{ details: string }>(bad).details).toMatch(/unknown field/);
  });

  it('is open to every member, 404 to other tenants, 401 without a session', async () => {
    const member = await addMember(t, a, 'member');
    expect((await recent(member, 'limit=1')).statusCode).toBe(200);
    const other = await newTenant(t);
    expect((await recent(other, 'limit=1', a.orgId)).statusCode).toBe(404);
    expect((await recent(other, `pixel_id=${pixelId}`, other.orgId)).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/recent-events?${window}` })).statusCode).toBe(401);
  });
});
