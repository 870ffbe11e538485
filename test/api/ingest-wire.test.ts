// Ingest as integrations use it (issue 13): a server sending for its visitors (spec 3.4) is judged
// by the visitor's user agent, not its own; Delivr's own p.js payload (spec 3.2) keeps title and
// referrer; an event_id sent again is stored once; every event gets the location and network of
// the visitor's IP, also when IP_MODE drops the address. Real HTTP from Node for the server-side
// cases (Node's fetch sends `user-agent: node` and no Origin, as a backend does). Runs on DuckDB,
// and on ClickHouse too when CLICKHOUSE_URL is set.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const chUrl = process.env.CLICKHOUSE_URL;
const backends: [string, Record<string, string>, (() => Promise<void>) | undefined][] = [['duckdb', {}, undefined]];
if (chUrl) {
  const db = `delivr_wire_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const url = new URL(chUrl);
  url.pathname = `/${db}`;
  backends.push([
    'clickhouse',
    // A short group-commit delay keeps the test quick; correctness does not depend on it.
    { CLICKHOUSE_URL: url.toString(), INGEST_MAX_DELAY_MS: '20' },
    async () => {
      await fetch(`${url.origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${db}`)}`, { method: 'POST' });
    },
  ]);
} else {
  console.log('ingest-wire: CLICKHOUSE_URL is not set; running on DuckDB only');
}

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
// Addresses whose data is stable across monthly releases of the DB-IP and ASN files.
const GOOGLE_DNS = '8.8.8.8';
const MIT = '18.9.22.69';

type Row = Record<string, unknown>;

describe.each(backends)('on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let none: TestApp;
  let base = '';
  let a: Tenant;
  let key: { apiKey: string; apiSecret: string };
  let pixelId: string;
  let otherPixelId: string;

  async function makePixel(app: TestApp, tenant: Tenant): Promise<string> {
    const project = json<{ project: { project_id: string } }>(
      await app.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${tenant.orgId}/projects`,
        headers: dash(tenant.session),
        payload: { name: 'site' },
      }),
    ).project.project_id;
    return json<{ pixel: { pixel_id: string } }>(
      await app.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${tenant.orgId}/projects/${project}/pixels`,
        headers: dash(tenant.session),
        payload: { title: 'main' },
      }),
    ).pixel.pixel_id;
  }

  const range = () => `start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}`;
  async function events(app: TestApp, k: { apiKey: string; apiSecret: string }, pixel: string, query: string): Promise<Row[]> {
    const res = await app.app.inject({
      url: `/api/v2/events?source=pixel&pixel_id=${pixel}&${range()}&${query}`,
      headers: { 'x-api-key': k.apiKey, 'x-api-secret': k.apiSecret },
    });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ events: Row[] }>(res).events;
  }
  const byVisitor = (visitor: string, extra = '') => events(t, key, pixelId, `filter=visitor_id:eq:${visitor}${extra}`);

  /** POST from this Node process over real HTTP, as a backend integration does. */
  async function postFromNode(body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}/pixel/core/api/send-event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { event_ids?: string[]; error?: string; details?: string } };
  }

  const event = (visitor: string, over: Row = {}): Row => ({
    event_type: 'page_view',
    event_data: { url: 'https://shop.example/pricing' },
    event_url: 'https://shop.example/pricing',
    pixel_id: pixelId,
    organization_id: a.orgId,
    visitor_id: visitor,
    ...over,
  });

  beforeAll(async () => {
    t = await makeTestApp({ IP_MODE: 'truncate', ...env });
    none = await makeTestApp({ IP_MODE: 'none', ...env });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    a = await newTenant(t);
    key = await createKey(t, a);
    pixelId = await makePixel(t, a);
    otherPixelId = await makePixel(t, a);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await none?.close();
    await cleanup?.();
  });

  describe('server-side sends are judged by the visitor, not the sender', () => {
    it("stores a Node backend's event with the visitor's browser agent as a visitor, and a crawler's as a bot", async () => {
      const human = `srv-human-${randomUUID()}`;
      const crawler = `srv-bot-${randomUUID()}`;
      const sent = await postFromNode({
        events: [event(human, { user_agent: CHROME, ip: GOOGLE_DNS }), event(crawler, { user_agent: GOOGLEBOT })],
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);

      // Without include_bots: the visitor is there, the crawler is not.
      expect(await byVisitor(human)).toMatchObject([
        { user_agent: CHROME, browser: 'Chrome', os: 'Windows', device_type: 'desktop', is_bot: false, ip: '8.8.8.0', country: 'US' },
      ]);
      expect(await byVisitor(crawler)).toEqual([]);
      expect(await byVisitor(crawler, '&include_bots=true')).toMatchObject([{ user_agent: GOOGLEBOT, is_bot: true, device_type: 'bot' }]);
    });

    it("does not judge or store the sender's own agent and address when the event carries none", async () => {
      const visitor = `srv-bare-${randomUUID()}`;
      for (const ua of ['curl/8.5.0', 'python-requests/2.31.0', '']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/pixel/core/api/send-event',
          headers: { 'content-type': 'application/json', 'user-agent': ua },
          payload: event(visitor, { event_type: `via-${ua || 'none'}` }),
        });
        expect(res.statusCode, res.body).toBe(200);
      }
      const rows = await byVisitor(visitor);
      expect(rows).toHaveLength(3);
      for (const r of rows)
        expect(r).toMatchObject({ is_bot: false, user_agent: null, browser: null, device_type: null, ip: null, country: null });
    });

    it('still judges a browser context by its own agent: an Origin, or a crawler without one', async () => {
      const visitor = `browser-ctx-${randomUUID()}`;
      const send = (headers: Record<string, string>) =>
        t.app.inject({
          method: 'POST',
          url: '/pixel/core/api/send-event',
          headers: { 'content-type': 'text/plain', ...headers },
          payload: event(visitor),
        });
      expect((await send({ 'user-agent': 'curl/8.5.0', origin: 'https://shop.example' })).statusCode).toBe(200);
      expect((await send({ 'user-agent': GOOGLEBOT })).statusCode).toBe(200);
      expect((await send({ 'user-agent': CHROME, origin: 'https://shop.example' })).statusCode).toBe(200);
      expect((await byVisitor(visitor)).map((r) => r.browser)).toEqual(['Chrome']);
      expect(await byVisitor(visitor, '&include_bots=true')).toHaveLength(3);
    });

    it('takes user_agent and ip on the GET form too', async () => {
      const visitor = `get-${randomUUID()}`;
      const qs = new URLSearchParams({
        event_type: 'conversion',
        event_data: '{}',
        organization_id: a.orgId,
        pixel_id: pixelId,
        event_url: 'https://shop.example/thanks',
        visitor_id: visitor,
        user_agent: CHROME,
        ip: MIT,
      });
      const res = await fetch(`${base}/pixel/core/api/send-event/get?${qs}`);
      expect(res.status).toBe(200);
      expect(await byVisitor(visitor)).toMatchObject([{ is_bot: false, browser: 'Chrome', ip: '18.9.22.0', country: 'US', asn: 3 }]);
    });

    it('refuses a bad ip, an over-long user_agent and a bad event_id with a 400 and the reason', async () => {
      const cases: [Row, RegExp][] = [
        [{ ip: 'not-an-ip' }, /ip must be an IPv4 or IPv6 address/],
        [{ ip: '999.1.1.1' }, /ip must be/],
        [{ ip: 42 }, /ip must be a string/],
        [{ user_agent: 'M'.repeat(1001) }, /user_agent is longer than 1000/],
        [{ event_id: 'has space' }, /event_id must be/],
        [{ event_id: 'ünïcode' }, /event_id must be/],
        [{ event_id: 'x'.repeat(101) }, /event_id is longer than 100/],
        [{ event_id: 7 }, /event_id must be a string/],
      ];
      for (const [over, reason] of cases) {
        const res = await postFromNode(event('bad', over));
        expect(res.status, JSON.stringify(over)).toBe(400);
        expect(`${res.body.error} ${res.body.details}`).toMatch(reason);
      }
      const get = await t.app.inject({
        url: `/pixel/core/api/send-event/get?${new URLSearchParams({ event_type: 'x', event_data: '{}', organization_id: a.orgId, pixel_id: pixelId, event_url: 'https://shop.example/', ip: '1.2.3' })}`,
      });
      expect(get.statusCode).toBe(400);
      expect(json<{ details: string }>(get).details).toMatch(/ip must be/);
    });
  });

  it("keeps title, referrer and time of Delivr's own p.js payload (spec 3.2), sent inside event_data", async () => {
    const timestamp = new Date(Date.now() - 5000).toISOString();
    const visitor = `delivr-js-${randomUUID()}`;
    // Exactly what Delivr's script posts for a page view (plus a visitor id to find it by).
    const body = {
      event_type: 'page_view',
      event_data: { url: 'https://shop.example/pricing?plan=pro', referrer: 'https://www.google.com/', title: 'Pricing – Shop', timestamp },
      pixel_id: pixelId,
      organization_id: a.orgId,
      visitor_id: visitor,
    };
    const res = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME, origin: 'https://shop.example' },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(await byVisitor(visitor)).toMatchObject([
      {
        title: 'Pricing – Shop',
        referrer: 'https://www.google.com/',
        url: 'https://shop.example/pricing?plan=pro',
        path: '/pricing',
        ts_millis: Date.parse(timestamp),
      },
    ]);
    // Top-level keys, where a sender gives both, win.
    const both = `delivr-js-both-${randomUUID()}`;
    await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'content-type': 'application/json', 'user-agent': CHROME },
      payload: { ...body, visitor_id: both, title: 'Top', referrer: 'https://top.example/' },
    });
    expect(await byVisitor(both)).toMatchObject([{ title: 'Top', referrer: 'https://top.example/' }]);
  });

  describe('an event_id sent again is stored once', () => {
    it('acknowledges copies (in one batch, in later and in concurrent requests) with the first id, and stores one', async () => {
      const visitor = `dedupe-${randomUUID()}`;
      const id = randomUUID();
      const e = event(visitor, { event_id: id, ts: Date.now(), user_agent: CHROME });
      const first = await postFromNode({ events: [e, e] });
      expect(first.status).toBe(200);
      const [stored, copy] = first.body.event_ids ?? [];
      expect(copy).toBe(stored);
      const later = await postFromNode(e);
      expect(later.body.event_ids).toEqual([stored]);
      const concurrent = await Promise.all(Array.from({ length: 8 }, () => postFromNode({ ...e, event_id: `${id}-c` })));
      const concurrentIds = new Set(concurrent.flatMap((r) => r.body.event_ids ?? []));
      expect(concurrentIds.size).toBe(1);
      // A retry without ts (a server that does not send one) is found by its id all the same.
      const { ts: _ts, ...noTs } = e;
      expect((await postFromNode(noTs)).body.event_ids).toEqual([stored]);

      const rows = await byVisitor(visitor);
      expect(rows.map((r) => r.event_id).sort()).toEqual([stored, ...concurrentIds].sort());
      const metrics = (await t.app.inject({ url: '/metrics' })).body;
      expect(metrics).toMatch(/delivr_ingest_events_total\{outcome="duplicate"\} (?:[1-9]\d+|[8-9])/);
    });

    it('scopes the id to the pixel: the same id on another pixel is another event', async () => {
      const id = `order-${randomUUID()}`;
      const visitor = `scope-${randomUUID()}`;
      const one = await postFromNode(event(visitor, { event_id: id, user_agent: CHROME }));
      const two = await postFromNode(event(visitor, { event_id: id, user_agent: CHROME, pixel_id: otherPixelId }));
      expect(one.body.event_ids?.[0]).not.toBe(two.body.event_ids?.[0]);
      expect(await byVisitor(visitor)).toHaveLength(1);
      expect(await events(t, key, otherPixelId, `filter=visitor_id:eq:${visitor}`)).toHaveLength(1);
    });
  });

  describe('location and network of the visitor IP', () => {
    it('fills country, region, city, asn, network_org and network_type for known addresses', async () => {
      const visitor = `geo-${randomUUID()}`;
      await postFromNode({
        events: [
          event(visitor, { user_agent: CHROME, ip: GOOGLE_DNS, event_type: 'google' }),
          event(visitor, { user_agent: CHROME, ip: MIT, event_type: 'mit' }),
          event(visitor, { user_agent: CHROME, ip: '2001:4860:4860::8888', event_type: 'google6' }),
          event(visitor, { user_agent: CHROME, ip: '10.1.2.3', event_type: 'private' }),
        ],
      });
      const rows = Object.fromEntries((await byVisitor(visitor)).map((r) => [r.event_type, r]));
      expect(rows.google).toMatchObject({ country: 'US', asn: 15169, network_org: 'Google LLC', network_type: 'hosting' });
      expect(rows.mit).toMatchObject({
        country: 'US',
        region: 'Massachusetts',
        asn: 3,
        network_org: 'Massachusetts Institute of Technology',
        network_type: 'business',
      });
      expect(String(rows.mit?.city)).toMatch(/Cambridge/);
      expect(rows.google6).toMatchObject({ asn: 15169, network_org: 'Google LLC', network_type: 'hosting', ip: '2001:4860:4860::' });
      expect(rows.private).toMatchObject({ country: null, region: null, city: null, asn: null, network_org: null, network_type: null });
    });

    it('with IP_MODE=none stores no address but keeps the location and network', async () => {
      const tenant = await newTenant(none);
      const k = await createKey(none, tenant);
      const pixel = await makePixel(none, tenant);
      const visitor = `none-${randomUUID()}`;
      const res = await none.app.inject({
        method: 'POST',
        url: '/pixel/core/api/send-event',
        headers: { 'content-type': 'application/json', 'user-agent': 'node' },
        payload: { ...event(visitor, { user_agent: CHROME, ip: MIT }), pixel_id: pixel, organization_id: tenant.orgId },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(await events(none, k, pixel, `filter=visitor_id:eq:${visitor}`)).toMatchObject([
        { ip: null, country: 'US', region: 'Massachusetts', asn: 3, network_type: 'business' },
      ]);
    });

    it('lists the new columns in events_schema and filters on them', async () => {
      const res = await t.app.inject({
        url: '/api/v2/events_schema?source=pixel',
        headers: { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret },
      });
      const fields = json<{ fields: { name: string; data_type: string; nullable: boolean }[] }>(res).fields;
      expect(fields.filter((f) => ['country', 'region', 'city', 'asn', 'network_org', 'network_type'].includes(f.name))).toEqual([
        { name: 'country', data_type: 'Utf8', nullable: true },
        { name: 'region', data_type: 'Utf8', nullable: true },
        { name: 'city', data_type: 'Utf8', nullable: true },
        { name: 'asn', data_type: 'Int64', nullable: true },
        { name: 'network_org', data_type: 'Utf8', nullable: true },
        { name: 'network_type', data_type: 'Utf8', nullable: true },
      ]);
      const visitor = `geo-filter-${randomUUID()}`;
      await postFromNode({
        events: [event(visitor, { user_agent: CHROME, ip: MIT }), event(visitor, { user_agent: CHROME, ip: GOOGLE_DNS })],
      });
      const business = await events(t, key, pixelId, `filter=visitor_id:eq:${visitor},network_type:eq:business`);
      expect(business.map((r) => r.asn)).toEqual([3]);
    });
  });

  describe("the pixel's install check", () => {
    it('records the first event once: unset before, set by the first send, unchanged by later ones', async () => {
      const fresh = await makePixel(t, a);
      const status = async () =>
        json<{ first_event_at: string | null }>(
          await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/pixels/${fresh}/status`, headers: dash(a.session) }),
        ).first_event_at;
      expect(await status()).toBeNull();
      const send = async () =>
        expect((await postFromNode(event(`install-${randomUUID()}`, { pixel_id: fresh, user_agent: CHROME }))).status).toBe(200);
      await send();
      const first = await status();
      expect(first).toMatch(/^\d{4}-\d\d-\d\dT/);
      await new Promise((r) => setTimeout(r, 5));
      await send();
      expect(await status()).toBe(first);
    });
  });
});
