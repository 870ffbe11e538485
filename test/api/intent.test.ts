// Intent over HTTP: page views sent to the collect endpoint with the page's description and heading
// are stored with them and classified into topics; GET /api/v1/intent lists a person's (hem=) or a
// company's (company_domain=) topics, GET /api/v1/intent/explain explains one score with exactly the
// pages and days behind it; every error is the documented body. A custom topic accepted later covers
// pages read before it existed. The dashboard's Topics routes and the Person page's panel, and the
// audiences helper. DuckDB, and ClickHouse too when CLICKHOUSE_URL is set.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochDay } from '../../src/intent/score.js';
import { DAY_MS } from '../../src/intent/types.js';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { addMember, createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const chUrl = process.env.CLICKHOUSE_URL;
const backends: [string, Record<string, string>][] = [['duckdb', {}]];
if (chUrl) {
  const url = new URL(chUrl);
  url.pathname = `/delivr_intent_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  backends.push(['clickhouse', { CLICKHOUSE_URL: url.toString() }]);
}

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const CLOUD = 'iab_ct_620';
const today = () => new Date(epochDay(Date.now()) * DAY_MS).toISOString().slice(0, 10);

/** Pages written for the test: three about cloud computing, one about baking. */
const SITE = 'https://intent.example';
const CLOUD_PAGES = [
  {
    path: '/cloud/basics',
    title: 'Cloud computing basics',
    description: 'What cloud computing is and how cloud hosting works.',
    heading: 'Cloud computing 101',
  },
  {
    path: '/cloud/migration',
    title: 'Migrating to cloud computing',
    description: 'Plan a move of your servers to cloud computing.',
    heading: 'Cloud migration',
  },
  {
    path: '/cloud/costs',
    title: 'Cloud computing costs compared',
    description: 'What cloud hosting and cloud computing really cost.',
    heading: 'Cloud costs',
  },
];
const BAKING = {
  path: '/recipes/banana-bread',
  title: 'The best banana bread recipe',
  description: 'A moist banana bread with walnuts.',
  heading: 'Banana bread',
};

interface TopicScore {
  topic_id: string;
  name: string;
  intent_score: number;
  intent_frequency: number;
  surging: boolean;
}
interface IntentBody {
  hem_sha256: string | null;
  company_domain: string | null;
  window_days: number;
  as_of: string;
  topics: TopicScore[];
}
interface Explained extends TopicScore {
  window: { start: string; end: string; observed: number; expected: number };
  baseline: { days: number; known_days: number; views: number; daily: number; own_share: number; organization_daily: number };
  pages: { url: string; title: string; count: number; relevance: number }[];
  days: { date: string; count: number; weighted: number }[];
}

describe.each(backends)('intent on %s', (_name, env) => {
  let t: TestApp;
  let a: Tenant;
  let key: { apiKey: string; apiSecret: string };
  let pixelId: string;
  const ann = `ann-${randomUUID().slice(0, 6)}@acme.example`;
  const bob = `bob-${randomUUID().slice(0, 6)}@acme.example`;

  const data = (url: string, k = key) => t.app.inject({ url, headers: { 'x-api-key': k.apiKey, 'x-api-secret': k.apiSecret } });
  const send = async (events: Record<string, unknown>[]) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, origin: SITE },
      payload: { events: events.map((e) => ({ pixel_id: pixelId, organization_id: a.orgId, ts: Date.now(), ...e })) },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  /** A page view as the tracker sends it: description and heading inside event_data. */
  const view = (visitor: string, p: { path: string; title: string; description: string; heading: string }) => ({
    event_type: 'page_view',
    visitor_id: visitor,
    event_url: `${SITE}${p.path}`,
    title: p.title,
    event_data: { url: `${SITE}${p.path}`, title: p.title, description: `  ${p.description}\n `, heading: p.heading },
  });
  const identify = (visitor: string, email: string) => ({
    event_type: 'form_submission',
    visitor_id: visitor,
    event_url: `${SITE}/contact`,
    hem_sha256: sha256(email),
  });
  const intent = async (query: string, k = key) => {
    const res = await data(`/api/v1/intent?${query}`, k);
    expect(res.statusCode, res.body).toBe(200);
    return json<IntentBody>(res);
  };
  const explain = async (query: string) => {
    const res = await data(`/api/v1/intent/explain?${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return json<Explained>(res);
  };

  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', ...env });
    a = await newTenant(t);
    key = await createKey(t, a);
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
        payload: { title: 'site' },
      }),
    ).pixel.pixel_id;
    await t.services.analytics.mergeProfiles(
      a.orgId,
      [ann, bob].map((e) => ({ hem_sha256: sha256(e), hem_md5: md5(e), hem_sha1: null, company_domain: 'https://www.Acme.example/' })),
      Date.now(),
    );
    // Ann reads three cloud pages (one twice) and a recipe, then fills in a form; Bob reads one cloud page.
    await send([
      view('v-ann', CLOUD_PAGES[0] as (typeof CLOUD_PAGES)[number]),
      view('v-ann', CLOUD_PAGES[1] as (typeof CLOUD_PAGES)[number]),
      view('v-ann', CLOUD_PAGES[2] as (typeof CLOUD_PAGES)[number]),
      view('v-ann', CLOUD_PAGES[0] as (typeof CLOUD_PAGES)[number]),
      view('v-ann', BAKING),
      view('v-bob', CLOUD_PAGES[1] as (typeof CLOUD_PAGES)[number]),
    ]);
    await send([identify('v-ann', ann), identify('v-bob', bob)]);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores the description and heading a page view carries, whitespace collapsed', async () => {
    const res = await data(
      `/api/v1/events?pixel_id=${pixelId}&start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}&filter=event_type:eq:page_view&select=url,description,heading`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const events = json<{ events: Record<string, unknown>[] }>(res).events;
    expect(events).toContainEqual({
      url: `${SITE}/cloud/basics`,
      description: 'What cloud computing is and how cloud hosting works.',
      heading: 'Cloud computing 101',
    });
    const schema = json<{ fields: { name: string }[] }>(await data('/api/v1/events_schema')).fields.map((f) => f.name);
    expect(schema).toEqual(expect.arrayContaining(['description', 'heading']));
  });

  it("a person's topics: the subject they read most surges and comes first; one page from someone else scores lower", async () => {
    const body = await intent(`hem=${sha256(ann).toUpperCase()}&window_days=7`);
    expect(body).toMatchObject({ hem_sha256: sha256(ann), company_domain: null, window_days: 7, as_of: today() });
    const [first, ...rest] = body.topics;
    expect(first).toMatchObject({ topic_id: CLOUD, name: 'Cloud Computing', intent_frequency: 4, surging: true });
    expect(first?.intent_score).toBeGreaterThanOrEqual(60);
    expect(rest.length).toBeGreaterThan(0);
    for (const other of rest) expect(other.intent_score).toBeLessThan(first?.intent_score ?? 0);
    expect(rest.map((r) => r.name)).toContain('Desserts and Baking');
    const bobs = await intent(`hem=${sha256(bob)}`);
    expect(bobs.window_days).toBe(7);
    const bobCloud = bobs.topics.find((x) => x.topic_id === CLOUD);
    expect(bobCloud).toMatchObject({ intent_frequency: 1, surging: false });
    expect(bobCloud?.intent_score).toBeLessThan(first?.intent_score ?? 0);
  });

  it('explains a score with exactly the pages and days behind it, and its baseline', async () => {
    const e = await explain(`hem=${sha256(ann)}&topic_id=${CLOUD}&window_days=7`);
    const listed = (await intent(`hem=${sha256(ann)}&window_days=7`)).topics.find((x) => x.topic_id === CLOUD);
    expect(e).toMatchObject({
      topic_id: CLOUD,
      name: 'Cloud Computing',
      intent_score: listed?.intent_score,
      intent_frequency: 4,
      surging: true,
    });
    expect(e.pages.map((p) => [p.url, p.title, p.count])).toEqual([
      [`${SITE}/cloud/basics`, 'Cloud computing basics', 2],
      [`${SITE}/cloud/costs`, 'Cloud computing costs compared', 1],
      [`${SITE}/cloud/migration`, 'Migrating to cloud computing', 1],
    ]);
    for (const p of e.pages) expect(p.relevance).toBeGreaterThan(0);
    expect(e.days).toEqual([{ date: today(), count: 4, weighted: expect.any(Number) }]);
    // A new person in a new organization: nothing before the window, the floor rate as baseline.
    expect(e.baseline).toMatchObject({ days: 56, known_days: 0, views: 0, own_share: 0, daily: 0.01, organization_daily: 0 });
    expect(e.window.end).toBe(today());
    expect(e.window.observed).toBeCloseTo(e.days[0]?.weighted ?? 0, 4);
    // A topic the person never read: a score below normal, nothing behind it.
    const golf = await explain(`hem=${sha256(ann)}&topic_id=iab_ct_512`);
    expect(golf).toMatchObject({ intent_frequency: 0, surging: false, pages: [], days: [] });
    expect(golf.intent_score).toBeLessThan(50);
  });

  it('by company: the people of a domain together, however the domain is written', async () => {
    const body = await intent('company_domain=ACME.example');
    expect(body).toMatchObject({ hem_sha256: null, company_domain: 'acme.example' });
    expect(body.topics[0]).toMatchObject({ topic_id: CLOUD, intent_frequency: 5, surging: true });
    const e = await explain(`company_domain=https://www.acme.example/x&topic_id=${CLOUD}`);
    expect(e.pages.map((p) => [p.url, p.count])).toEqual([
      [`${SITE}/cloud/basics`, 2],
      [`${SITE}/cloud/migration`, 2],
      [`${SITE}/cloud/costs`, 1],
    ]);
  });

  it('a page whose text changes is classified again, and its views count under its latest topics', async () => {
    const dan = `dan-${randomUUID().slice(0, 6)}@acme.example`;
    await t.services.analytics.mergeProfiles(a.orgId, [{ hem_sha256: sha256(dan), hem_md5: md5(dan), hem_sha1: null }], Date.now());
    const page = {
      path: `/changing-${randomUUID().slice(0, 6)}`,
      title: 'Cloud computing basics',
      description: 'Cloud hosting explained.',
      heading: 'Cloud',
    };
    await send([view('v-dan', page), identify('v-dan', dan)]);
    expect((await intent(`hem=${sha256(dan)}`)).topics.map((x) => x.topic_id)).toEqual([CLOUD]);
    await send([
      view('v-dan', { ...page, title: 'Improve your golf swing', description: 'Tips for a better golf swing.', heading: 'Golf' }),
    ]);
    expect((await intent(`hem=${sha256(dan)}`)).topics).toMatchObject([{ name: 'Golf', intent_frequency: 2 }]);
  });

  it('every error is the documented body', async () => {
    const b = await newTenant(t);
    const bKey = await createKey(t, b);
    const cases: [string, number, string][] = [
      ['/api/v1/intent', 400, 'invalid_parameters'],
      [`/api/v1/intent?hem=${sha256(ann)}&company_domain=acme.example`, 400, 'invalid_parameters'],
      ['/api/v1/intent?hem=not-a-hem', 400, 'invalid_parameters'],
      [`/api/v1/intent?hem=${sha256(ann)}&window_days=0`, 400, 'invalid_parameters'],
      [`/api/v1/intent?hem=${sha256(ann)}&window_days=15`, 400, 'invalid_parameters'],
      ['/api/v1/intent?company_domain=%20%2F', 400, 'invalid_parameters'],
      [`/api/v1/intent?hem=${sha256('nobody@acme.example')}`, 404, 'identity_not_found'],
      ['/api/v1/intent?company_domain=nowhere.example', 404, 'company_not_found'],
      [`/api/v1/intent/explain?hem=${sha256(ann)}`, 400, 'invalid_parameters'],
      [`/api/v1/intent/explain?hem=${sha256(ann)}&topic_id=iab_ct_999999`, 404, 'topic_not_found'],
      [`/api/v1/intent/explain?company_domain=nowhere.example&topic_id=${CLOUD}`, 404, 'company_not_found'],
    ];
    for (const [url, status, code] of cases) {
      const res = await data(url);
      expect([res.statusCode, json(res).code], url).toEqual([status, code]);
      expect(typeof json(res).error).toBe('string');
    }
    // Another organization: the person and the company do not exist there.
    for (const url of [
      `/api/v1/intent?hem=${sha256(ann)}`,
      '/api/v1/intent?company_domain=acme.example',
      `/api/v1/intent/explain?hem=${sha256(ann)}&topic_id=${CLOUD}`,
    ]) {
      const res = await data(url, bKey);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('cloud');
    }
    const anon = await t.app.inject({ url: `/api/v1/intent?hem=${sha256(ann)}` });
    expect(anon.statusCode).toBe(401);
  });

  it('a custom topic accepted later covers the pages read before it existed', async () => {
    const c = await newTenant(t);
    const cKey = await createKey(t, c);
    const cProject = json<{ project: { project_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${c.orgId}/projects`,
        headers: dash(c.session),
        payload: { name: 'p' },
      }),
    ).project.project_id;
    const cPixel = json<{ pixel: { pixel_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${c.orgId}/projects/${cProject}/pixels`,
        headers: dash(c.session),
        payload: { title: 'p' },
      }),
    ).pixel.pixel_id;
    const carol = `carol-${randomUUID().slice(0, 6)}@c.example`;
    const widget = { path: '/zyxwidget', title: 'Zyxwidget pro overview', description: 'Zyxwidget pro for teams', heading: 'Zyxwidget' };
    const res = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, origin: SITE },
      payload: {
        events: [
          { ...view('v-carol', widget), pixel_id: cPixel, organization_id: c.orgId, ts: Date.now() },
          { ...identify('v-carol', carol), pixel_id: cPixel, organization_id: c.orgId, ts: Date.now() },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await intent(`hem=${sha256(carol)}`, cKey)).topics).toEqual([]);
    // The organization asks for its own topic; the operator accepts it.
    const requested = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${c.orgId}/topic-requests`,
      headers: dash(c.session),
      payload: { name: 'Zyxwidget', keywords: ['zyxwidget'], topic_type: 'B2B' },
    });
    expect(requested.statusCode, requested.body).toBe(201);
    const request = json<{ topic_request: { topic_request_id: string; topic_id: string; status: string } }>(requested).topic_request;
    expect(request.status).toBe('waiting_for_approval');
    const accepted = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/topic-requests/${request.topic_request_id}/accept`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: {},
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const after = await intent(`hem=${sha256(carol)}`, cKey);
    expect(after.topics).toMatchObject([{ topic_id: request.topic_id, name: 'Zyxwidget', intent_frequency: 1 }]);
    const listed = json<{ topic_requests: { topic_id: string; status: string }[] }>(
      await t.app.inject({ url: `/dashboard/api/orgs/${c.orgId}/topic-requests`, headers: dash(c.session) }),
    );
    expect(listed.topic_requests).toMatchObject([{ topic_id: request.topic_id, status: 'accepted' }]);
    // Only the requesting organization's pages are classified into it.
    expect((await intent(`hem=${sha256(ann)}`)).topics.map((x) => x.topic_id)).not.toContain(request.topic_id);
  });

  it("the dashboard: topics searched, requests proposed by owners and admins only, and a person's intent panel", async () => {
    const topics = json<{ topics: { topic_id: string; name: string }[]; total: number }>(
      await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/topics?search=cloud%20computing&limit=5`, headers: dash(a.session) }),
    );
    expect(topics.topics.map((x) => x.topic_id)).toContain(CLOUD);
    expect(topics.total).toBeGreaterThanOrEqual(topics.topics.length);
    const categories = json<{ categories: { name: string }[] }>(
      await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/topic-categories`, headers: dash(a.session) }),
    );
    expect(categories.categories.map((x) => x.name)).toContain('Technology & Computing');
    const member = await addMember(t, a, 'member');
    const refused = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${a.orgId}/topic-requests`,
      headers: dash(member.session),
      payload: { name: 'Nope', topic_type: 'B2C' },
    });
    expect(refused.statusCode).toBe(403);
    const panel = await t.app.inject({
      url: `/dashboard/api/orgs/${a.orgId}/people/${sha256(ann)}/intent?window_days=7`,
      headers: dash(member.session),
    });
    expect(panel.statusCode, panel.body).toBe(200);
    const body = json<{ topics: TopicScore[]; surging: Explained[] }>(panel);
    expect(body.topics[0]?.topic_id).toBe(CLOUD);
    expect(body.surging.map((x) => x.topic_id)).toEqual(body.topics.filter((x) => x.surging).map((x) => x.topic_id));
    expect(body.surging[0]?.pages).toHaveLength(3);
    const unknown = await t.app.inject({
      url: `/dashboard/api/orgs/${a.orgId}/people/${sha256('x@y.example')}/intent`,
      headers: dash(a.session),
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('for audiences: everyone with a score of at least the minimum on the topics, in one pass', async () => {
    const rows = await t.services.intent.peopleScores(a.orgId, { topicIds: [CLOUD], windowDays: 7, minScore: 0 });
    expect(rows.map((r) => [r.hem_sha256, r.topic_id, r.intent_frequency])).toEqual([
      [sha256(ann), CLOUD, 4],
      [sha256(bob), CLOUD, 1],
    ]);
    const annScore = (await intent(`hem=${sha256(ann)}`)).topics.find((x) => x.topic_id === CLOUD)?.intent_score;
    expect(rows[0]?.intent_score).toBe(annScore);
    const surging = await t.services.intent.peopleScores(a.orgId, { topicIds: [CLOUD], windowDays: 7, minScore: 60 });
    expect(surging.map((r) => r.hem_sha256)).toEqual([sha256(ann)]);
    expect(await t.services.intent.peopleScores(a.orgId, { topicIds: [], windowDays: 7, minScore: 0 })).toEqual([]);
  });
});
