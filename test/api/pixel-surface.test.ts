// The public pixel surface (issue 15): no open redirects (send-event/get and sync redirect only to
// hosts registered for the pixel), privacy signals checked for every event against its own pixel
// (GET included), CORS `*` without credentials, `__proto__` answered alike whatever the content
// type, and per-pixel and per-source ingest limits with a clear 429 counted in /metrics. Each case
// failed on the code before: any URL was a redirect target, a GET from a DNT browser was stored, a
// batch was judged by its first event's pixel, the request's Origin was echoed with credentials, a
// `__proto__` body was refused as JSON and stored as text/plain, and one client could write
// hundreds of thousands of events into a pixel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { createKey, dash, json, newTenant, partnerHeaders, type Tenant } from '../support/tenant.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const D = '/dashboard/api';

interface Ctx {
  t: TestApp;
  a: Tenant;
  projectId: string;
  key: { apiKey: string; apiSecret: string };
}

async function setup(env: Record<string, string> = {}): Promise<Ctx> {
  const t = await makeTestApp({ LIMIT_DASHBOARD_PER_USER: '1000000/second', LIMIT_PARTNER_PER_USER: '1000000/second', ...env });
  const a = await newTenant(t);
  const projectId = json<{ project: { project_id: string } }>(
    await t.app.inject({ method: 'POST', url: `${D}/orgs/${a.orgId}/projects`, headers: dash(a.session), payload: { name: 'site' } }),
  ).project.project_id;
  return { t, a, projectId, key: await createKey(t, a) };
}

async function pixel(c: Ctx, settings: Record<string, unknown> = {}): Promise<string> {
  const res = await c.t.app.inject({
    method: 'POST',
    url: `${D}/orgs/${c.a.orgId}/projects/${c.projectId}/pixels`,
    headers: dash(c.a.session),
    payload: { title: 'p', ...settings },
  });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ pixel: { pixel_id: string } }>(res).pixel.pixel_id;
}

const event = (c: Ctx, pixelId: string, type: string, extra: Record<string, unknown> = {}) => ({
  event_type: type,
  pixel_id: pixelId,
  organization_id: c.a.orgId,
  event_url: 'https://shop.example/',
  visitor_id: 'v-1',
  ...extra,
});

/** Events of `type` stored for the pixel in the last hour. */
async function stored(c: Ctx, pixelId: string, type: string): Promise<number> {
  const q = new URLSearchParams({
    source: 'pixel',
    pixel_id: pixelId,
    start_ms: String(Date.now() - 3_600_000),
    end_ms: String(Date.now() + 60_000),
    filter: `event_type:eq:${type}`,
  });
  const res = await c.t.app.inject({
    url: `/api/v2/event_counts?${q}`,
    headers: { 'x-api-key': c.key.apiKey, 'x-api-secret': c.key.apiSecret },
  });
  expect(res.statusCode, res.body).toBe(200);
  return json<{ count: number }>(res).count;
}

const post = (c: Ctx, body: unknown, headers: Record<string, string> = {}, remoteAddress?: string) =>
  c.t.app.inject({
    method: 'POST',
    url: '/pixel/core/api/send-event',
    headers: { 'content-type': 'application/json', 'user-agent': BROWSER, ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    ...(remoteAddress ? { remoteAddress } : {}),
  });

describe('pixel surface', () => {
  let c: Ctx;
  beforeAll(async () => {
    c = await setup();
  });
  afterAll(async () => c?.t.close());

  describe('redirects go only to hosts registered for the pixel', () => {
    it('sync: an unknown client_id, a pixel without hosts, and an unlisted host are 400 redirect_not_allowed', async () => {
      const px = await pixel(c);
      const sync = (clientId: string, redir: string) =>
        c.t.app.inject({ url: `/pixel/core/api/sync?${new URLSearchParams({ client_id: clientId, client_uid: 'u-1', redir })}` });
      for (const [clientId, redir] of [
        ['partner-1', 'https://evil.example/'],
        [px, 'https://evil.example/'],
        [px, 'https://partner.example.evil.example/'],
      ] as const) {
        const res = await sync(clientId, redir);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json()).toMatchObject({ error: 'This redirect target is not registered for the pixel.', code: 'redirect_not_allowed' });
        expect(res.headers.location).toBeUndefined();
      }
      const set = await c.t.app.inject({
        method: 'PATCH',
        url: `${D}/orgs/${c.a.orgId}/pixels/${px}`,
        headers: dash(c.a.session),
        payload: { redirect_hosts: ['Partner.Example', '*.cdn.example'] },
      });
      expect(set.statusCode, set.body).toBe(200);
      expect(set.json().pixel.redirect_hosts).toEqual(['*.cdn.example', 'partner.example']);
      const ok = await sync(px, 'https://partner.example/cb?uid=$DLVRCOOKIE');
      expect(ok.statusCode).toBe(302);
      expect(ok.headers.location).toBe('https://partner.example/cb?uid=u-1');
      expect((await sync(px, 'https://a.cdn.example/x')).statusCode).toBe(302);
      // The wildcard covers subdomains, not the apex; userinfo tricks name the real host.
      expect((await sync(px, 'https://cdn.example/x')).statusCode).toBe(400);
      expect((await sync(px, 'https://partner.example@evil.example/')).statusCode).toBe(400);
      expect((await sync(px, 'javascript:alert(1)')).statusCode).toBe(400);
      // A placeholder cannot pick the host.
      expect((await sync(px, 'https://$DLVRCOOKIE/x')).statusCode).toBe(400);
    });

    it('send-event/get with a live pixel and an unlisted host is a 400 and stores nothing', async () => {
      const px = await pixel(c);
      const q = (redir: string, id: string) =>
        new URLSearchParams({
          event_type: 'redir_get',
          event_data: '{}',
          event_url: 'https://shop.example/',
          pixel_id: px,
          organization_id: c.a.orgId,
          event_id: id,
          redir,
        });
      const res = await c.t.app.inject({
        url: `/pixel/core/api/send-event/get?${q('https://evil.example/', 'r-1')}`,
        headers: { 'user-agent': BROWSER },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'redirect_not_allowed' });
      expect(await stored(c, px, 'redir_get')).toBe(0);
    });

    it('the Partner API creates pixels with redirect hosts, and refuses entries that are not host names', async () => {
      const headers = { ...(await partnerHeaders(c.t, c.a)), project_id: c.projectId };
      const created = await c.t.app.inject({
        method: 'POST',
        url: '/public/core/api/pixel/create',
        headers,
        payload: { title: 'partner', redirect_hosts: ['sync.partner.example'] },
      });
      expect(created.statusCode, created.body).toBe(200);
      const id = created.json().response.pixel_id as string;
      const ok = await c.t.app.inject({
        url: `/pixel/core/api/sync?${new URLSearchParams({ client_id: id, redir: 'https://sync.partner.example/x' })}`,
      });
      expect(ok.statusCode).toBe(302);
      for (const bad of ['https://x.example/', 'x.example:8080', 'a b.example', '*']) {
        const res = await c.t.app.inject({
          method: 'POST',
          url: '/public/core/api/pixel/create',
          headers,
          payload: { title: 'partner', redirect_hosts: [bad] },
        });
        expect(res.statusCode, bad).toBe(400);
        expect(res.json().details).toMatch(/is not a host name/);
      }
    });
  });

  describe('privacy signals, per event and on GET', () => {
    it('GET send-event from a DNT or GPC browser stores nothing for a pixel that respects them', async () => {
      const px = await pixel(c, { respect_privacy_signals: true });
      const open = await pixel(c);
      const get = (pixelId: string, headers: Record<string, string>) =>
        c.t.app.inject({
          url: `/pixel/core/api/send-event/get?${new URLSearchParams({ event_type: 'dnt_get', event_data: '{}', event_url: 'https://shop.example/', pixel_id: pixelId, organization_id: c.a.orgId })}`,
          headers: { 'user-agent': BROWSER, ...headers },
        });
      for (const h of [{ dnt: '1' }, { 'sec-gpc': '1' }] as Record<string, string>[]) {
        const res = await get(px, h);
        expect(res.statusCode, res.body).toBe(202);
        expect(res.json()).toEqual({ status: 'ignored', reason: 'privacy signal (GPC/DNT) honoured for this pixel' });
      }
      expect(await stored(c, px, 'dnt_get')).toBe(0);
      // Without a signal, or for a pixel that does not respect them, it is stored.
      expect((await get(px, {})).statusCode).toBe(200);
      expect((await get(open, { dnt: '1' })).statusCode).toBe(200);
      expect(await stored(c, px, 'dnt_get')).toBe(1);
      expect(await stored(c, open, 'dnt_get')).toBe(1);
    });

    it("a batch is judged event by event against each event's own pixel, whichever comes first", async () => {
      const px = await pixel(c, { respect_privacy_signals: true });
      const open = await pixel(c);
      for (const [i, events] of [
        [event(c, open, 'dnt_batch_0'), event(c, px, 'dnt_batch_0')],
        [event(c, px, 'dnt_batch_1'), event(c, open, 'dnt_batch_1')],
      ].entries()) {
        const res = await post(c, { events }, { 'sec-gpc': '1' });
        expect(res.statusCode, res.body).toBe(200);
        const ignoredIndex = events.findIndex((e) => e.pixel_id === px);
        expect(res.json()).toMatchObject({
          accepted: 1,
          rejected: [],
          ignored: [{ index: ignoredIndex, reason: 'privacy signal (GPC/DNT) honoured for this pixel' }],
        });
        expect(await stored(c, px, `dnt_batch_${i}`)).toBe(0);
        expect(await stored(c, open, `dnt_batch_${i}`)).toBe(1);
      }
    });
  });

  it('CORS: any origin gets `*` and never credentials, on answers and preflights', async () => {
    const px = await pixel(c);
    for (const origin of ['https://evil.example', 'null']) {
      const res = await post(c, event(c, px, 'cors'), { origin });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      const pre = await c.t.app.inject({
        method: 'OPTIONS',
        url: '/pixel/core/api/send-event',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(pre.statusCode).toBe(204);
      expect(pre.headers['access-control-allow-origin']).toBe('*');
      expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('a __proto__ or constructor.prototype key gets the same answer as application/json and as text/plain, and nothing is stored', async () => {
    const px = await pixel(c);
    const base = JSON.stringify(event(c, px, 'proto')).slice(0, -1);
    for (const body of [`${base},"__proto__":{"admin":true}}`, `${base},"constructor":{"prototype":{"admin":true}}}`]) {
      const answers = [];
      for (const type of ['application/json', 'text/plain', 'text/plain;charset=UTF-8']) {
        const res = await post(c, body, { 'content-type': type });
        answers.push({ status: res.statusCode, body: res.json() });
      }
      expect(answers[0]).toEqual({
        status: 400,
        body: { error: 'Request body is not valid JSON.', code: 'invalid_json' },
      });
      expect(answers[1]).toEqual(answers[0]);
      expect(answers[2]).toEqual(answers[0]);
    }
    expect(await stored(c, px, 'proto')).toBe(0);
  });
});

describe('ingest rate limits', () => {
  let c: Ctx;
  beforeAll(async () => {
    c = await setup({
      INGEST_RATE_PER_PIXEL: '1',
      INGEST_BURST_PER_PIXEL: '150',
      INGEST_RATE_PER_SOURCE: '1',
      INGEST_BURST_PER_SOURCE: '300',
    });
  });
  afterAll(async () => c?.t.close());

  const refusedTotal = async (limit: string): Promise<number> => {
    const body = (await c.t.app.inject({ url: '/metrics' })).body;
    return Number(new RegExp(`delivr_ingest_rate_limited_total\\{limit="${limit}"\\} (\\d+)`).exec(body)?.[1] ?? 0);
  };
  const batch = (pixelId: string, type: string, n: number) => ({ events: Array.from({ length: n }, () => event(c, pixelId, type)) });

  it('per pixel: past its budget a request is a 429 with Retry-After, nothing of it is stored, other pixels are not affected', async () => {
    const px = await pixel(c);
    const other = await pixel(c);
    expect((await post(c, batch(px, 'rl_pixel', 100), {}, '198.51.100.1')).statusCode).toBe(200);
    const refused = await post(c, batch(px, 'rl_pixel', 60), {}, '198.51.100.2');
    expect(refused.statusCode, refused.body).toBe(429);
    expect(refused.json()).toEqual({
      error: 'Too many events for this pixel or from this source; slow down.',
      code: 'ingest_rate_limited',
      details: 'too many events for this pixel',
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await stored(c, px, 'rl_pixel')).toBe(100);
    expect(await refusedTotal('pixel')).toBe(60);
    expect((await post(c, batch(other, 'rl_pixel', 10), {}, '198.51.100.3')).statusCode).toBe(200);
    // The GET form counts too: the pixel's last ~50 tokens go, then it is refused.
    let status = 0;
    let sent = 0;
    for (; sent < 100 && status !== 429; sent++) {
      const get = await c.t.app.inject({
        url: `/pixel/core/api/send-event/get?${new URLSearchParams({ event_type: 'rl_get', event_data: '{}', event_url: 'https://shop.example/', pixel_id: px, organization_id: c.a.orgId })}`,
        remoteAddress: '198.51.100.4',
      });
      status = get.statusCode;
      if (status === 429) expect(get.json()).toMatchObject({ code: 'ingest_rate_limited' });
    }
    expect(status).toBe(429);
    expect(sent).toBeLessThan(80);
  });

  it('per source: one client address past its budget is refused while another still sends; IPv6 counts by /64', async () => {
    const pixels = await Promise.all(Array.from({ length: 8 }, () => pixel(c)));
    const at = (i: number) => pixels[i] as string;
    for (const i of [0, 1, 2]) expect((await post(c, batch(at(i), 'rl_source', 100), {}, '203.0.113.50')).statusCode).toBe(200);
    const refused = await post(c, batch(at(3), 'rl_source', 10), {}, '203.0.113.50');
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'ingest_rate_limited', details: 'too many events from this address' });
    expect(await refusedTotal('source')).toBe(10);
    expect(await stored(c, at(3), 'rl_source')).toBe(0);
    expect((await post(c, batch(at(3), 'rl_source', 10), {}, '203.0.113.51')).statusCode).toBe(200);
    for (const i of [4, 5, 6]) expect((await post(c, batch(at(i), 'rl_v6', 100), {}, `2001:db8:1:2::${i}`)).statusCode).toBe(200);
    expect((await post(c, batch(at(7), 'rl_v6', 100), {}, '2001:db8:1:2::99')).statusCode).toBe(429);
    expect((await post(c, batch(at(7), 'rl_v6', 100), {}, '2001:db8:1:3::1')).statusCode).toBe(200);
  });
});
