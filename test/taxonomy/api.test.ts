// Acceptance for the Taxonomy API over HTTP (in-process): the documented shapes of every endpoint
// with each data credential, counts that equal full listings, search by name and keyword, filters
// that compose, ids that survive a restart and a fresh install, the topic request workflow scoped to
// its organization (another one gets 404), the operator's accept making a topic only the requester
// sees and is classified into, the partner host's topic/get, and hostile input answered with the
// documented 4xx bodies.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/platform/config.js';
import { createLogger } from '../../src/platform/logger.js';
import { createServices } from '../../src/services.js';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { createKey, dataToken, json, newTenant, partnerHeaders, type Tenant } from '../support/tenant.js';

type Body = { response: Record<string, unknown> };
type Topic = {
  topic_id: string;
  name: string;
  category_id: string | null;
  subcategory_id: string | null;
  topic_type: string;
  keywords: string[];
};
type TopicRequest = { topic_request_id: string; topic_id: string; status: string; name: string; keywords: string[] };

let t: TestApp;
let a: Tenant;
let b: Tenant;
let keyA: Record<string, string>;
let keyB: Record<string, string>;
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

const get = async (url: string, headers: Record<string, string> = keyA) => t.app.inject({ url, headers });
const ok = async <T = Body>(url: string, headers: Record<string, string> = keyA): Promise<T> => {
  const res = await get(url, headers);
  expect(res.statusCode, `${url}: ${res.body.slice(0, 300)}`).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return json<T>(res);
};
const topics = async (query: string, headers = keyA) =>
  (await ok<{ response: { topics: Topic[] } }>(`/taxonomy/topics?${query}`, headers)).response.topics;
const count = async (path: string, headers = keyA) => (await ok<{ response: { count: number } }>(path, headers)).response.count;
const send = (method: 'POST' | 'PUT', url: string, payload: unknown, headers: Record<string, string> = keyA) =>
  t.app.inject({ method, url, headers, payload: payload as object });

beforeAll(async () => {
  t = await makeTestApp({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
  a = await newTenant(t);
  b = await newTenant(t);
  const ka = await createKey(t, a);
  const kb = await createKey(t, b);
  keyA = { 'x-api-key': ka.apiKey, 'x-api-secret': ka.apiSecret };
  keyB = { 'x-api-key': kb.apiKey, 'x-api-secret': kb.apiSecret };
});
afterAll(async () => t?.close());

describe('catalog endpoints', () => {
  it('answer key + secret, a legacy key alone and a user JWT alike, and refuse no credentials', async () => {
    const legacy = await t.services.apiKeys.createLegacyKey({ organizationId: a.orgId, name: 'legacy' });
    const jwt = await dataToken(t, a);
    const expected = await count('/taxonomy/topics/count');
    const credentials: Record<string, string>[] = [
      { 'x-api-key': legacy.apiKey },
      { authorization: `Bearer ${jwt}` },
      { authorization: `Bearer ${legacy.apiKey}` },
    ];
    for (const headers of credentials) {
      expect(await count('/taxonomy/topics/count', headers)).toBe(expected);
    }
    const none = await get('/taxonomy/categories', {});
    expect(none.statusCode).toBe(401);
    expect(json(none)).toEqual({ error: 'Missing or invalid authentication.', code: 'missing_auth' });
    expect((await get('/taxonomy/topics', { 'x-api-key': 'dlvr_nope' })).statusCode).toBe(401);
  });

  it('categories: list, detail (with description) and count, in the documented shape', async () => {
    const list = (await ok<{ response: { categories: Record<string, unknown>[] } }>('/taxonomy/categories?limit=10')).response.categories;
    expect(list).toHaveLength(10);
    const first = list[0] as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(['category_id', 'created_at', 'description', 'name', 'status', 'updated_at']);
    expect(first.category_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first.status).toBe('active');
    const detail = await ok<Body>(`/taxonomy/categories/${first.category_id}`);
    expect(detail.response).toEqual(first);
    expect(await count('/taxonomy/categories/count')).toBe(39);
    expect(await count('/taxonomy/categories/count?search=tech')).toBe(
      (await ok<{ response: { categories: unknown[] } }>('/taxonomy/categories?search=tech&limit=1000')).response.categories.length,
    );
  });

  it('subcategories: list, filter by category, detail and count', async () => {
    const cloud = (await ok<{ response: Topic }>('/taxonomy/topics/iab_ct_620')).response;
    const subs = (
      await ok<{ response: { subcategories: Record<string, unknown>[] } }>(
        `/taxonomy/subcategories?category_id=${cloud.category_id}&limit=1000`,
      )
    ).response.subcategories;
    expect(subs.length).toBeGreaterThan(3);
    expect(subs.every((s) => s.category_id === cloud.category_id && s.category_name === 'Technology & Computing')).toBe(true);
    expect(Object.keys(subs[0] as object).sort()).toEqual(
      ['category_id', 'category_name', 'created_at', 'description', 'name', 'status', 'subcategory_id', 'updated_at'].sort(),
    );
    expect(await count(`/taxonomy/subcategories/count?category_id=${cloud.category_id}`)).toBe(subs.length);
    expect((await ok<Body>(`/taxonomy/subcategories/${cloud.subcategory_id}`)).response.name).toBe('Computing');
    expect(await count('/taxonomy/subcategories/count')).toBe(373);
  });

  it('topics: the documented fields, detail with description and keywords', async () => {
    const [cloud] = await topics('search=cloud+computing&limit=1');
    expect(cloud).toEqual({
      topic_id: 'iab_ct_620',
      category_id: expect.any(String),
      category_name: 'Technology & Computing',
      subcategory_id: expect.any(String),
      subcategory_name: 'Computing',
      name: 'Cloud Computing',
      description: expect.stringContaining('Cloud Computing'),
      keywords: expect.arrayContaining(['cloud computing', 'kubernetes']),
      topic_type: 'B2B',
      status: 'active',
      custom: false,
      created_at: expect.any(String),
      updated_at: null,
    });
    expect((await ok<Body>('/taxonomy/topics/iab_ct_620')).response).toEqual(cloud);
  });

  it('count equals the length of a full listing for the same filters, and filters compose', async () => {
    const cloud = (await ok<{ response: Topic }>('/taxonomy/topics/iab_ct_620')).response;
    const queries = [
      '',
      'topic_type=B2B',
      'topic_type=B2C&status=active',
      `category_id=${cloud.category_id}`,
      `category_id=${cloud.category_id}&topic_type=B2B`,
      `subcategory_id=${cloud.subcategory_id}&topic_type=B2B`,
      `category_id=${cloud.category_id}&subcategory_id=${cloud.subcategory_id}&topic_type=B2C&search=software`,
      'search=insurance',
      'status=inactive',
    ];
    for (const q of queries) {
      const listed: Topic[] = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await topics(`${q}&limit=1000&offset=${offset}`);
        listed.push(...page);
        if (page.length < 1000) break;
      }
      expect(await count(`/taxonomy/topics/count?${q}`), q).toBe(listed.length);
    }
    const both = await topics(`category_id=${cloud.category_id}&topic_type=B2B&limit=1000`);
    expect(both.length).toBeGreaterThan(0);
    expect(both.every((x) => x.category_id === cloud.category_id && x.topic_type === 'B2B')).toBe(true);
    expect(both.length).toBeLessThan(await count(`/taxonomy/topics/count?category_id=${cloud.category_id}`));
    expect(both.length).toBeLessThan(await count('/taxonomy/topics/count?topic_type=B2B'));
    expect(await count('/taxonomy/topics/count')).toBe(1619);
  });

  it('search finds topics by name and by keyword; limit defaults to 50', async () => {
    expect((await topics('search=Cloud%20Computing')).map((x) => x.topic_id)).toContain('iab_ct_620');
    expect((await topics('search=kubernetes')).map((x) => x.topic_id)).toContain('iab_ct_620');
    expect((await topics('search=payroll')).map((x) => x.topic_id)).toContain('iab_ct_55');
    expect(await topics('search=zzzqqq')).toEqual([]);
    expect(await topics('')).toHaveLength(50);
  });

  it('keeps the same ids after a restart on the same data and on a fresh install', async () => {
    const snapshot = async (app: { inject: TestApp['app']['inject'] }, headers: Record<string, string>) => {
      const res = await app.inject({ url: '/taxonomy/topics?limit=1000&offset=0', headers });
      const res2 = await app.inject({ url: '/taxonomy/topics?limit=1000&offset=1000', headers });
      const cats = await app.inject({ url: '/taxonomy/categories?limit=1000', headers });
      const rows = [
        ...json<{ response: { topics: Topic[] } }>(res).response.topics,
        ...json<{ response: { topics: Topic[] } }>(res2).response.topics,
      ];
      return {
        topics: rows.map((x) => `${x.topic_id} ${x.category_id} ${x.subcategory_id} ${x.name}`),
        categories: json<{ response: { categories: { category_id: string }[] } }>(cats).response.categories.map((c) => c.category_id),
      };
    };
    const before = await snapshot(t.app, keyA);
    // Restart: the app is closed and built again on the same data directory, as after a redeploy.
    const dataDir = mkdtempSync(join(tmpdir(), 'delivr-taxonomy-restart-'));
    try {
      const boot = async () => {
        const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test', ADMIN_TOKEN, LOG_LEVEL: 'silent' });
        const app = await buildApp(await createServices(config, createLogger('silent')));
        await app.ready();
        return app;
      };
      const first = await boot();
      const created = await first.inject({
        method: 'POST',
        url: '/auth/v1/register',
        payload: {
          email: 'restart@example.com',
          password: 'a long enough password',
          first_name: 'R',
          last_name: 'S',
          organization_name: 'Restart',
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      const login = await first.inject({
        method: 'POST',
        url: '/auth/v1/login',
        payload: { email: 'restart@example.com', password: 'a long enough password' },
      });
      const headers = { authorization: `Bearer ${json<{ token: string }>(login).token}` };
      const fresh = await snapshot(first, headers);
      await first.close();
      const second = await boot();
      try {
        expect(await snapshot(second, headers)).toEqual(fresh);
      } finally {
        await second.close();
      }
      // And this fresh install gave the same ids as the long-running test app.
      expect(fresh).toEqual(before);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('topic requests', () => {
  let created: TopicRequest;

  it('create → waiting_for_approval (201), then read, list and count', async () => {
    const cloud = (await ok<{ response: Topic }>('/taxonomy/topics/iab_ct_620')).response;
    const res = await send('POST', '/taxonomy/topic-requests', {
      name: '  Quantum Key Distribution ',
      description: 'Hardware and networks that exchange encryption keys with quantum states.',
      keywords: ['QKD', 'quantum cryptography', 'qkd'],
      subcategory_id: cloud.subcategory_id,
      topic_type: 'B2B',
    });
    expect(res.statusCode, res.body).toBe(201);
    created = json<{ response: TopicRequest }>(res).response;
    expect(created).toMatchObject({
      name: 'Quantum Key Distribution',
      keywords: ['qkd', 'quantum cryptography'],
      status: 'waiting_for_approval',
      category_id: cloud.category_id,
      subcategory_id: cloud.subcategory_id,
      topic_type: 'B2B',
      review_note: null,
      reviewed_at: null,
    });
    expect(created.topic_id).toMatch(/^custom_[0-9a-f]{12}$/);
    expect((await ok<Body>(`/taxonomy/topic-requests/${created.topic_request_id}`)).response).toEqual(created);
    const list = (await ok<{ response: { topic_requests: TopicRequest[] } }>('/taxonomy/topic-requests')).response.topic_requests;
    expect(list.map((r) => r.topic_request_id)).toEqual([created.topic_request_id]);
    expect(await count('/taxonomy/topic-requests/count')).toBe(1);
    expect(await count('/taxonomy/topic-requests/count?status=waiting_for_approval')).toBe(1);
    expect(await count('/taxonomy/topic-requests/count?status=accepted')).toBe(0);
    // Not a topic yet: neither listed nor readable.
    expect((await get(`/taxonomy/topics/${created.topic_id}`)).statusCode).toBe(404);
    const review = (
      await ok<{ response: { status: string; reviews: { status: string }[] } }>(`/taxonomy/topic-reviews/${created.topic_id}`)
    ).response;
    expect(review.status).toBe('waiting_for_approval');
    expect(review.reviews.map((r) => r.status)).toEqual(['waiting_for_approval']);
  });

  it('update while waiting (fields left out stay); bad placement is refused', async () => {
    const res = await send('PUT', `/taxonomy/topic-requests/${created.topic_request_id}`, { keywords: ['qkd', 'quantum key exchange'] });
    expect(res.statusCode, res.body).toBe(200);
    const updated = json<{ response: TopicRequest & { updated_at: string } }>(res).response;
    expect(updated).toMatchObject({
      name: 'Quantum Key Distribution',
      keywords: ['qkd', 'quantum key exchange'],
      status: 'waiting_for_approval',
    });
    expect(updated.updated_at).not.toBeNull();
    const bad = await send('PUT', `/taxonomy/topic-requests/${created.topic_request_id}`, { category_id: 'no-such-category' });
    expect(bad.statusCode).toBe(400);
    expect(json(bad)).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
  });

  it('another organization never sees it: 404 on read, update and review history; empty lists and counts', async () => {
    const id = created.topic_request_id;
    for (const res of [
      await get(`/taxonomy/topic-requests/${id}`, keyB),
      await send('PUT', `/taxonomy/topic-requests/${id}`, { name: 'hijacked' }, keyB),
      await get(`/taxonomy/topic-reviews/${created.topic_id}`, keyB),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('Quantum');
    }
    expect(json(await get(`/taxonomy/topic-requests/${id}`, keyB))).toEqual({
      error: 'Topic request not found.',
      code: 'topic_request_not_found',
    });
    expect((await ok<{ response: { topic_requests: unknown[] } }>('/taxonomy/topic-requests', keyB)).response.topic_requests).toEqual([]);
    expect(await count('/taxonomy/topic-requests/count', keyB)).toBe(0);
  });

  it('operator: lists waiting requests, accepts; the topic is visible only to the requester and classified into for it', async () => {
    const page = {
      url: 'https://bank.example/security/qkd',
      title: 'Quantum key exchange for bank networks',
      description: 'QKD links between data centers.',
    };
    expect((await t.services.taxonomy.classify(page, a.orgId)).map((m) => m.topic_id)).not.toContain(created.topic_id);
    const waiting = json<{ topic_requests: (TopicRequest & { organization_id: string })[]; total: number }>(
      await t.app.inject({ url: '/admin/v1/topic-requests', headers: admin }),
    );
    expect(waiting.topic_requests.find((r) => r.topic_request_id === created.topic_request_id)?.organization_id).toBe(a.orgId);
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/topic-requests/${created.topic_request_id}/accept`,
      headers: admin,
      payload: { note: 'Fits our B2B catalog' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res)).toMatchObject({
      topic_request: { status: 'accepted', review_note: 'Fits our B2B catalog' },
      topic: { topic_id: created.topic_id, custom: true },
    });

    const mine = (await ok<{ response: Topic & { custom: boolean } }>(`/taxonomy/topics/${created.topic_id}`)).response;
    expect(mine).toMatchObject({ name: 'Quantum Key Distribution', subcategory_name: 'Computing', custom: true, topic_type: 'B2B' });
    expect((await topics('search=qkd')).map((x) => x.topic_id)).toContain(created.topic_id);
    expect((await get(`/taxonomy/topics/${created.topic_id}`, keyB)).statusCode).toBe(404);
    expect((await topics('search=qkd', keyB)).map((x) => x.topic_id)).not.toContain(created.topic_id);
    expect(await count('/taxonomy/topics/count', keyB)).toBe(1619);
    expect(await count('/taxonomy/topics/count')).toBe(1620);

    expect((await t.services.taxonomy.classify(page, a.orgId))[0]?.topic_id).toBe(created.topic_id);
    expect((await t.services.taxonomy.classify(page, b.orgId)).map((m) => m.topic_id)).not.toContain(created.topic_id);

    const history = (
      await ok<{ response: { status: string; reviews: { status: string; note: string | null }[] } }>(
        `/taxonomy/topic-reviews/${created.topic_id}`,
      )
    ).response;
    expect(history.status).toBe('accepted');
    expect(history.reviews.map((r) => r.status)).toEqual(['waiting_for_approval', 'waiting_for_approval', 'accepted']);
    expect(history.reviews.at(-1)?.note).toBe('Fits our B2B catalog');
  });

  it('a reviewed request can no longer change (409), nor be reviewed again', async () => {
    const put = await send('PUT', `/taxonomy/topic-requests/${created.topic_request_id}`, { name: 'Later' });
    expect(put.statusCode).toBe(409);
    expect(json(put)).toMatchObject({ error: 'This topic request has already been reviewed.', code: 'topic_request_closed' });
    const again = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/topic-requests/${created.topic_request_id}/reject`,
      headers: admin,
      payload: {},
    });
    expect(again.statusCode).toBe(409);
  });

  it('reject: the request shows rejected, no topic appears', async () => {
    const res = await send('POST', '/taxonomy/topic-requests', { name: 'Cold fusion', topic_type: 'B2C' });
    const req = json<{ response: TopicRequest }>(res).response;
    const rej = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/topic-requests/${req.topic_request_id}/reject`,
      headers: admin,
      payload: { note: 'no' },
    });
    expect(rej.statusCode).toBe(200);
    expect(json(rej)).toMatchObject({ topic_request: { status: 'rejected' }, topic: null });
    expect((await get(`/taxonomy/topics/${req.topic_id}`)).statusCode).toBe(404);
    expect((await ok<{ response: { status: string } }>(`/taxonomy/topic-reviews/${req.topic_id}`)).response.status).toBe('rejected');
    expect(await count('/taxonomy/topic-requests/count?status=rejected')).toBe(1);
  });

  it('partner host: topic/get lists the organization’s requested topics with their status', async () => {
    const headers = await partnerHeaders(t, a);
    const res = await t.app.inject({ url: '/taxonomy/core/api/intent/topic/get', headers });
    expect(res.statusCode, res.body).toBe(200);
    const list = json<{ response: { topics: { topic_id: string; status: string; organization_id: string }[] } }>(res).response.topics;
    expect(list.map((x) => x.status).sort()).toEqual(['accepted', 'rejected']);
    expect(list.every((x) => x.organization_id === a.orgId)).toBe(true);
    const scoped = await t.app.inject({ url: '/taxonomy/core/api/intent/topic/get', headers: { ...headers, organization_id: b.orgId } });
    expect(scoped.statusCode).toBe(404);
    const bList = await t.app.inject({ url: '/taxonomy/core/api/intent/topic/get', headers: await partnerHeaders(t, b) });
    expect(json<{ response: { topics: unknown[] } }>(bList).response.topics).toEqual([]);
    expect((await t.app.inject({ url: '/taxonomy/core/api/intent/topic/get', headers: keyA })).statusCode).toBe(401);
  });
});

describe('attribution', () => {
  it('the API description credits IAB Tech Lab under CC BY 3.0, as the licence requires', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).body;
    expect(doc).toContain('IAB Tech Lab Content Taxonomy 3.1 and Audience Taxonomy 1.1');
    expect(doc).toContain('Creative Commons Attribution 3.0');
  });
});

describe('hostile input', () => {
  it('bad limit, offset, enum values → 400 with the documented body', async () => {
    for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'offset=-1', 'topic_type=B2B2C', 'status=deleted', 'limit=1.5']) {
      const res = await get(`/taxonomy/topics?${q}`);
      expect(res.statusCode, q).toBe(400);
      expect(json(res)).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
    }
    expect((await get('/taxonomy/topic-requests?status=pending')).statusCode).toBe(400);
  });

  it('huge or odd search text: over 200 characters → 400; wildcards and quotes are literal', async () => {
    expect((await get(`/taxonomy/topics?search=${'a'.repeat(201)}`)).statusCode).toBe(400);
    for (const s of ['%', '_', "' OR 1=1 --", '\\', '🚀', encodeURIComponent('\u202Eevil')]) {
      const res = await get(`/taxonomy/topics/count?search=${encodeURIComponent(s)}`);
      expect(res.statusCode, s).toBe(200);
      expect(json<{ response: { count: number } }>(res).response.count, s).toBe(0);
    }
  });

  it('unknown ids → 404 with the catalogue body', async () => {
    const cases: [string, object][] = [
      ['/taxonomy/topics/iab_ct_999999', { error: 'Topic not found.', code: 'topic_not_found' }],
      ['/taxonomy/categories/00000000-0000-5000-8000-000000000000', { error: 'Category not found.', code: 'category_not_found' }],
      ['/taxonomy/subcategories/nope', { error: 'Subcategory not found.', code: 'subcategory_not_found' }],
      ['/taxonomy/topic-requests/nope', { error: 'Topic request not found.', code: 'topic_request_not_found' }],
      ['/taxonomy/topic-reviews/nope', { error: 'Topic not found.', code: 'topic_not_found' }],
    ];
    for (const [url, body] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(json(res)).toEqual(body);
    }
    const adminMissing = await t.app.inject({ method: 'POST', url: '/admin/v1/topic-requests/nope/accept', headers: admin, payload: {} });
    expect(adminMissing.statusCode).toBe(404);
  });

  it('topic request bodies: missing or wrong fields, bad type, too many keywords → 400', async () => {
    const bodies = [
      {},
      { name: 'x' },
      { name: '', topic_type: 'B2B' },
      { name: '   ', topic_type: 'B2B' },
      { name: 'x', topic_type: 'B2B2C' },
      { name: 'x', topic_type: 'B2B', keywords: 'qkd' },
      { name: 'x', topic_type: 'B2B', keywords: Array.from({ length: 51 }, (_, i) => `k${i}`) },
      { name: 'x'.repeat(201), topic_type: 'B2B' },
      { name: 'x', topic_type: 'B2B', category_id: 'missing' },
      { name: 7, topic_type: 'B2B' },
    ];
    for (const body of bodies) {
      const res = await send('POST', '/taxonomy/topic-requests', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(json(res)).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
    }
  });
});
