// Audiences over HTTP (issue 12, spec sections 5 and 16): every endpoint's documented body and
// error on the data API (key + secret, project from X-Project-Id or ?project_id=) and the
// dashboard's session routes; a person who reads pages on a topic is in an intents audience on it
// with the expected intent_frequency and score and the other person is not; events audiences over
// event fields; preview stores nothing; record_limit cuts the download exactly; another
// organization's audience is "not found". Jobs are run in-process (services.audienceJobs) so each
// test knows when a run is done. DuckDB, and ClickHouse too when CLICKHOUSE_URL is set.
import { createHash, randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keysChanged } from '../../src/api-keys/key-cache.js';
import { AudienceEvaluator } from '../../src/audiences/evaluate.js';
import type { AudienceContact, AudienceView } from '../../src/wire.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { workerWith } from '../support/audiences.js';
import { addMember, createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const chUrl = process.env.CLICKHOUSE_URL;
const backends: [string, Record<string, string>, (() => Promise<void>) | undefined][] = [['duckdb', {}, undefined]];
if (chUrl) {
  const db = `delivr_aud_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const url = new URL(chUrl);
  url.pathname = `/${db}`;
  backends.push([
    'clickhouse',
    { CLICKHOUSE_URL: url.toString() },
    async () => {
      await fetch(`${url.origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${db}`)}`, { method: 'POST' });
    },
  ]);
} else {
  console.log('audiences: CLICKHOUSE_URL is not set; running on DuckDB only');
}

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const CLOUD = 'iab_ct_620';
const SITE = 'https://audience.example';
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
type Page = (typeof CLOUD_PAGES)[number];

const AUDIENCE_KEYS = [
  'audience_id',
  'organization_id',
  'project_id',
  'name',
  'description',
  'type',
  'status',
  'filter',
  'refresh_schedule',
  'renew_time',
  'previous_renew_time',
  'paused_at',
  'pause_reason',
  'task_id',
  'intent_window_days',
  'bucket_counts',
  'record_count',
  'distinct_profile_count',
  'error',
  'created_at',
  'updated_at',
  'completed_at',
].sort();

const intentFilter = (minScore: number) => ({ op: 'AND', rules: [{ type: 'INTENT', topic_ids: [CLOUD], min_score: minScore }] });

describe.each(backends)('audiences on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let key: Record<string, string>;
  let keyB: Record<string, string>;
  let projectId: string;
  let otherProjectId: string;
  let projectB: string;
  let pixelId: string;
  const ann = `ann-${randomUUID().slice(0, 6)}@acme.example`;
  const bob = `bob-${randomUUID().slice(0, 6)}@acme.example`;

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    opts: { payload?: unknown; headers?: Record<string, string> } = {},
  ) =>
    t.app.inject({
      method,
      url,
      headers: { ...key, 'x-project-id': projectId, ...opts.headers },
      ...(opts.payload === undefined ? {} : { payload: opts.payload as object }),
    });
  const ok = <T>(res: LightMyRequestResponse, status = 200): T => {
    expect(res.statusCode, res.body).toBe(status);
    return json<T>(res);
  };
  const create = async (payload: Record<string, unknown>): Promise<AudienceView> =>
    ok<{ audience: AudienceView }>(await call('POST', '/api/v1/audiences', { payload }), 201).audience;
  const detail = async (id: number): Promise<AudienceView> =>
    ok<{ audience: AudienceView }>(await call('GET', `/api/v1/audiences/${id}`)).audience;
  const sample = async (id: number): Promise<AudienceContact[]> =>
    ok<{ contacts: AudienceContact[] }>(await call('GET', `/api/v1/audiences/${id}/sample`)).contacts;
  const run = () => t.services.audienceJobs.runPending();
  const send = async (events: Record<string, unknown>[]) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, origin: SITE },
      payload: { events: events.map((e) => ({ pixel_id: pixelId, organization_id: a.orgId, ts: Date.now(), ...e })) },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const view = (visitor: string, p: Page) => ({
    event_type: 'page_view',
    visitor_id: visitor,
    event_url: `${SITE}${p.path}`,
    title: p.title,
    event_data: { url: `${SITE}${p.path}`, title: p.title, description: p.description, heading: p.heading },
  });
  const identify = (visitor: string, email: string) => ({
    event_type: 'form_submission',
    visitor_id: visitor,
    event_url: `${SITE}/contact`,
    hem_sha256: sha256(email),
  });
  const newProject = async (tenant: Tenant, name: string) =>
    ok<{ project: { project_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${tenant.orgId}/projects`,
        headers: dash(tenant.session),
        payload: { name },
      }),
      201,
    ).project.project_id;

  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', ...env });
    a = await newTenant(t);
    b = await newTenant(t);
    const k = await createKey(t, a);
    key = { 'x-api-key': k.apiKey, 'x-api-secret': k.apiSecret };
    const kb = await createKey(t, b);
    keyB = { 'x-api-key': kb.apiKey, 'x-api-secret': kb.apiSecret };
    projectId = await newProject(a, 'site');
    otherProjectId = await newProject(a, 'other');
    projectB = await newProject(b, 'b site');
    pixelId = ok<{ pixel: { pixel_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${a.orgId}/projects/${projectId}/pixels`,
        headers: dash(a.session),
        payload: { title: 'site' },
      }),
      201,
    ).pixel.pixel_id;
    await t.services.analytics.mergeProfiles(
      a.orgId,
      [
        {
          hem_sha256: sha256(ann),
          hem_md5: md5(ann),
          hem_sha1: null,
          first_name: 'Ann',
          seniority_level: 'director',
          company_employee_count: 500,
        },
        {
          hem_sha256: sha256(bob),
          hem_md5: md5(bob),
          hem_sha1: null,
          first_name: 'Bob',
          seniority_level: 'staff',
          company_employee_count: 50,
        },
      ],
      Date.now(),
    );
    // Ann reads three cloud pages (one twice), Bob one; then both fill in a form and are identified.
    await send([
      view('v-ann', CLOUD_PAGES[0] as Page),
      view('v-ann', CLOUD_PAGES[1] as Page),
      view('v-ann', CLOUD_PAGES[2] as Page),
      view('v-ann', CLOUD_PAGES[0] as Page),
      view('v-bob', CLOUD_PAGES[1] as Page),
    ]);
    await send([identify('v-ann', ann), identify('v-bob', bob)]);
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  it('creates an intents audience (201, the documented object, Pending, daily at 09:00 UTC, window 1) and completes it', async () => {
    const before = Date.now();
    const created = await create({ name: 'Cloud surgers', type: 'intents', filter: intentFilter(60), intent_window_days: 7 });
    expect(Object.keys(created).sort()).toEqual(AUDIENCE_KEYS);
    expect(created).toMatchObject({
      organization_id: a.orgId,
      project_id: projectId,
      name: 'Cloud surgers',
      description: '',
      type: 'intents',
      status: 'Pending',
      refresh_schedule: 'daily',
      intent_window_days: 7,
      filter: intentFilter(60),
      task_id: null,
      paused_at: null,
      pause_reason: null,
      previous_renew_time: null,
      record_count: 0,
      distinct_profile_count: 0,
      bucket_counts: {},
      error: null,
      completed_at: null,
    });
    expect(Number.isInteger(created.audience_id)).toBe(true);
    const renew = Date.parse(created.renew_time as string);
    expect(new Date(renew).getUTCHours()).toBe(9);
    expect(renew).toBeGreaterThan(before);
    expect(renew - before).toBeLessThanOrEqual(86_400_000);

    expect((await run()).map((r) => r.outcome)).toEqual(['completed']);
    const done = await detail(created.audience_id);
    expect(done).toMatchObject({ status: 'Completed', record_count: 1, distinct_profile_count: 1, error: null });
    expect(done.task_id).toMatch(/^run_/);
    expect(done.completed_at).not.toBeNull();
    const bands = done.bucket_counts;
    expect(Object.keys(bands).sort()).toEqual(['high', 'low', 'medium', 'very_high']);
    expect((bands.high ?? 0) + (bands.very_high ?? 0)).toBe(1);

    // The sample: Ann with her four cloud page views and her score; not Bob.
    const contacts = await sample(created.audience_id);
    expect(contacts).toHaveLength(1);
    const annScore = json<{ topics: { topic_id: string; intent_score: number }[] }>(
      await t.app.inject({ url: `/api/v1/intent?hem=${sha256(ann)}&window_days=7`, headers: key }),
    ).topics.find((x) => x.topic_id === CLOUD)?.intent_score;
    expect(contacts[0]).toMatchObject({
      hem_sha256: sha256(ann),
      hem_md5: md5(ann),
      first_name: 'Ann',
      seniority_level: 'director',
      company_employee_count: 500,
      intent_frequency: 4,
      intent_score: annScore,
      impression_count: 0,
      matched_topics: [CLOUD],
    });
    expect(contacts[0]?.intent_score).toBeGreaterThanOrEqual(60);

    // The CSV download: a header, then Ann.
    const csv = await call('GET', `/api/v1/audiences/${created.audience_id}/download`);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    const header = (lines[0] as string).split(',');
    expect(header.slice(0, 3)).toEqual(['hem_sha256', 'hem_md5', 'hem_sha1']);
    expect(header.slice(-4)).toEqual(['intent_score', 'intent_frequency', 'impression_count', 'matched_topics']);
    const row = (lines[1] as string).split(',');
    expect(row[header.indexOf('hem_sha256')]).toBe(sha256(ann));
    expect(row[header.indexOf('intent_frequency')]).toBe('4');
    expect(row[header.indexOf('matched_topics')]).toBe(CLOUD);
    expect(csv.body).not.toContain(sha256(bob));
  });

  it('record_limit cuts the download exactly (CSV and NDJSON, both paths); 0 gives every row', async () => {
    const aud = await create({
      name: 'Any cloud reader',
      type: 'intents',
      filter: intentFilter(0),
      intent_window_days: 7,
      refresh_schedule: 'manual',
    });
    expect(aud.renew_time).toBeNull();
    await run();
    expect(await detail(aud.audience_id)).toMatchObject({ status: 'Completed', record_count: 2, distinct_profile_count: 2 });
    const rows = async (url: string) => {
      const res = await call('GET', url);
      expect(res.statusCode, res.body).toBe(200);
      return res.body.trim().split(/\r?\n/).filter(Boolean);
    };
    expect(await rows(`/api/v1/audiences/${aud.audience_id}/download?record_limit=1`)).toHaveLength(2);
    expect(await rows(`/api/v1/audiences/${aud.audience_id}/download?record_limit=0`)).toHaveLength(3);
    expect(await rows(`/api/v1/audiences/${aud.audience_id}/download?record_limit=2`)).toHaveLength(3);
    const nd = await rows(`/audiences/${aud.audience_id}/download?project_id=${projectId}&format=ndjson&record_limit=1`);
    expect(nd).toHaveLength(1);
    const first = JSON.parse(nd[0] as string) as Record<string, unknown>;
    expect(first).toMatchObject({ hem_sha256: sha256(ann), intent_frequency: 4, impression_count: 0, matched_topics: [CLOUD] });
    const all = (await rows(`/api/v1/audiences/${aud.audience_id}/download?format=ndjson`)).map(
      (l) => JSON.parse(l) as { hem_sha256: string; intent_frequency: number },
    );
    expect(all.map((c) => [c.hem_sha256, c.intent_frequency])).toEqual([
      [sha256(ann), 4],
      [sha256(bob), 1],
    ]);
    for (const bad of ['-1', '10000001', 'x']) {
      expect((await call('GET', `/api/v1/audiences/${aud.audience_id}/download?record_limit=${bad}`)).statusCode).toBe(400);
    }
  });

  it('field rules on profile fields narrow an intents audience; AND/OR groups nest', async () => {
    const directors = await create({
      name: 'Directors reading about cloud',
      type: 'intents',
      intent_window_days: 7,
      filter: {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: [CLOUD], min_score: 0 },
          { field: 'seniority_level', operator: 'in', value: ['director', 'vp'] },
        ],
      },
    });
    const bigOrStaff = await create({
      name: 'Big companies or staff',
      type: 'intents',
      intent_window_days: 7,
      filter: {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: [CLOUD] },
          {
            op: 'OR',
            rules: [
              { field: 'company_employee_count', operator: 'gt', value: 200 },
              { field: 'seniority_level', operator: 'in', value: ['staff'] },
            ],
          },
        ],
      },
    });
    await run();
    expect((await sample(directors.audience_id)).map((c) => c.hem_sha256)).toEqual([sha256(ann)]);
    expect((await sample(bigOrStaff.audience_id)).map((c) => c.hem_sha256)).toEqual([sha256(ann), sha256(bob)]);
  });

  it('events audiences: people whose events in the window match the field rules', async () => {
    const basics = await create({
      name: 'Read the basics',
      type: 'events',
      filter: { op: 'AND', rules: [{ field: 'path', operator: 'eq', value: '/cloud/basics' }] },
    });
    const formAndMigration = await create({
      name: 'Form and migration',
      type: 'events',
      refresh_schedule: 'weekly',
      filter: {
        op: 'AND',
        rules: [
          { field: 'event_type', operator: 'eq', value: 'form_submission' },
          { field: 'path', operator: 'like', value: '/cloud/mig%' },
        ],
      },
    });
    expect(new Date(Date.parse(formAndMigration.renew_time as string)).getUTCDay()).toBe(6);
    expect(new Date(Date.parse(formAndMigration.renew_time as string)).getUTCHours()).toBe(18);
    await run();
    const b1 = await sample(basics.audience_id);
    expect(b1.map((c) => [c.hem_sha256, c.intent_frequency, c.intent_score, c.matched_topics])).toEqual([[sha256(ann), 2, null, []]]);
    expect((await detail(basics.audience_id)).bucket_counts).toEqual({});
    expect((await sample(formAndMigration.audience_id)).map((c) => c.hem_sha256).sort()).toEqual([sha256(ann), sha256(bob)].sort());
  });

  it('preview answers the size and stores nothing', async () => {
    const before = ok<{ audiences: AudienceView[]; total: number }>(await call('GET', '/api/v1/audiences'));
    const res = await call('POST', '/api/v1/audiences', {
      payload: { name: 'p', type: 'intents', filter: intentFilter(0), intent_window_days: 7, mode: 'preview' },
    });
    expect(ok(res)).toEqual({ preview: { record_count: 2, distinct_profile_count: 2, bucket_counts: expect.any(Object) } });
    const after = ok<{ audiences: AudienceView[]; total: number }>(await call('GET', '/api/v1/audiences'));
    expect(after.total).toBe(before.total);
    expect(after.audiences).toEqual(before.audiences);
    expect(await run()).toEqual([]);
  });

  it('lists the project’s audiences newest first with their total; the project may come from the header or the query', async () => {
    const mine = await create({ name: 'listed', type: 'intents', filter: intentFilter(0) });
    const list = ok<{ audiences: AudienceView[]; total: number }>(await call('GET', '/api/v1/audiences'));
    expect(list.total).toBe(list.audiences.length);
    expect(list.audiences[0]?.audience_id).toBe(mine.audience_id);
    const ids = list.audiences.map((x) => x.audience_id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const viaQuery = await t.app.inject({ url: `/api/v1/audiences?project_id=${projectId}`, headers: key });
    expect(ok<{ total: number }>(viaQuery).total).toBe(list.total);
    // Another project of the same organization has its own list, and does not see this audience.
    expect(ok<{ total: number }>(await call('GET', '/api/v1/audiences', { headers: { 'x-project-id': otherProjectId } })).total).toBe(0);
    expect(await call('GET', `/api/v1/audiences/${mine.audience_id}`, { headers: { 'x-project-id': otherProjectId } })).toMatchObject({
      statusCode: 404,
    });
    // Without a project, detail still finds it in the organization.
    expect((await t.app.inject({ url: `/api/v1/audiences/${mine.audience_id}`, headers: key })).statusCode).toBe(200);
    const both = await t.app.inject({
      url: `/api/v1/audiences?project_id=${otherProjectId}`,
      headers: { ...key, 'x-project-id': projectId },
    });
    expect(both.statusCode).toBe(400);
  });

  it('documented errors: Project required., Invalid audience ID., Audience not found., unknown project', async () => {
    for (const req of [
      t.app.inject({
        method: 'POST',
        url: '/api/v1/audiences',
        headers: key,
        payload: { name: 'x', type: 'intents', filter: intentFilter(0) },
      }),
      t.app.inject({ url: '/api/v1/audiences', headers: key }),
    ]) {
      const res = await req;
      expect(res.statusCode).toBe(400);
      expect(json(res)).toEqual({ error: 'Project required.', code: 'project_required' });
    }
    for (const id of ['abc', '0', '-1', '1.5', '99999999999', '2147483648']) {
      const res = await call('GET', `/api/v1/audiences/${id}`);
      expect(res.statusCode, id).toBe(400);
      expect(json(res)).toEqual({ error: 'Invalid audience ID.', code: 'invalid_audience_id' });
    }
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/refresh'],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['GET', '/sample'],
      ['GET', '/download'],
    ] as const) {
      const res = await call(method, `/api/v1/audiences/2147483647${path}`, method === 'PATCH' ? { payload: { name: 'x' } } : {});
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(json(res)).toEqual({ error: 'Audience not found.', code: 'audience_not_found' });
    }
    const unknownProject = await call('GET', '/api/v1/audiences', { headers: { 'x-project-id': randomUUID() } });
    expect(unknownProject.statusCode).toBe(404);
    expect(json(unknownProject)).toMatchObject({ error: 'Project not found.' });
    expect((await t.app.inject({ url: '/api/v1/audiences', headers: { 'x-project-id': projectId } })).statusCode).toBe(401);
  });

  it('refuses bad filters with a 400 that names what is wrong', async () => {
    const refused = async (type: string, filter: unknown, mention: string) => {
      const res = await call('POST', '/api/v1/audiences', { payload: { name: 'bad', type, filter } });
      expect(res.statusCode, res.body).toBe(400);
      expect(json<{ error: string; details: string }>(res)).toMatchObject({ error: 'Invalid parameters.', code: 'invalid_parameters' });
      expect(json<{ details: string }>(res).details).toContain(mention);
    };
    await refused(
      'intents',
      {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: [CLOUD] },
          { field: 'shoe_size', operator: 'eq', value: '9' },
        ],
      },
      'shoe_size',
    );
    await refused(
      'intents',
      {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: [CLOUD] },
          { field: 'seniority_level', operator: 'like', value: 'd%' },
        ],
      },
      'like',
    );
    await refused(
      'intents',
      {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: [CLOUD] },
          { field: 'seniority_level', operator: 'in', value: ['emperor'] },
        ],
      },
      'emperor',
    );
    await refused('intents', { op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['nope_1'] }] }, 'nope_1');
    await refused('intents', { op: 'AND', rules: [{ type: 'INTENT', topic_ids: [CLOUD], min_score: 101 }] }, 'min_score');
    await refused('intents', { op: 'AND', rules: [{ field: 'first_name', operator: 'eq', value: 'Ann' }] }, 'INTENT');
    await refused('events', { op: 'AND', rules: [{ type: 'INTENT', topic_ids: [CLOUD] }] }, 'INTENT');
    await refused('events', { op: 'AND', rules: [{ field: 'hem_md5', operator: 'eq', value: 'x' }] }, 'hem_md5');
    await refused(
      'intents',
      {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: [CLOUD] },
          { field: 'company_employee_count', operator: 'gt', value: 'many' },
        ],
      },
      'whole number',
    );
    await refused('intents', { op: 'XOR', rules: [{ type: 'INTENT', topic_ids: [CLOUD] }] }, '');
    await refused('intents', { op: 'AND', rules: [] }, '');
    let deep: Record<string, unknown> = { type: 'INTENT', topic_ids: [CLOUD] };
    for (let i = 0; i < 7; i++) deep = { op: 'AND', rules: [deep] };
    await refused('intents', deep, 'deep');
    for (const payload of [
      { name: 'x', type: 'elixir', filter: intentFilter(0) },
      { name: 'x', type: 'intents', filter: intentFilter(0), intent_window_days: 15 },
      { name: 'x', type: 'intents', filter: intentFilter(0), intent_window_days: 0 },
      { name: 'x', type: 'intents', filter: intentFilter(0), refresh_schedule: 'hourly' },
      { name: 'x', type: 'intents', filter: intentFilter(0), mode: 'now' },
      { name: '', type: 'intents', filter: intentFilter(0) },
      { type: 'intents', filter: intentFilter(0) },
    ]) {
      expect((await call('POST', '/api/v1/audiences', { payload })).statusCode, JSON.stringify(payload)).toBe(400);
    }
    // Naming another organization in the body is refused.
    expect(
      (
        await call('POST', '/api/v1/audiences', {
          payload: { name: 'x', type: 'intents', filter: intentFilter(0), organization_id: b.orgId },
        })
      ).statusCode,
    ).toBe(404);
  });

  it('refresh: Pending with task_id cleared; 409 while Syncing', async () => {
    const aud = await create({
      name: 'refreshed',
      type: 'intents',
      filter: intentFilter(0),
      refresh_schedule: 'manual',
      intent_window_days: 7,
    });
    await run();
    expect((await detail(aud.audience_id)).task_id).not.toBeNull();
    const refreshed = ok<{ audience: AudienceView }>(await call('POST', `/api/v1/audiences/${aud.audience_id}/refresh`)).audience;
    expect(refreshed).toMatchObject({ status: 'Pending', task_id: null, record_count: 2 });
    // The served results stay while the next run computes.
    expect(await sample(aud.audience_id)).toHaveLength(2);
    await run();
    expect(await detail(aud.audience_id)).toMatchObject({ status: 'Completed', record_count: 2 });
    await t.services.catalog.audiences.update(a.orgId, aud.audience_id, { status: 'Syncing' });
    const conflict = await call('POST', `/api/v1/audiences/${aud.audience_id}/refresh`);
    expect(conflict.statusCode).toBe(409);
    expect(json(conflict)).toEqual({ error: 'Audience is syncing its results; try again when it is done.' });
    await t.services.catalog.audiences.update(a.orgId, aud.audience_id, { status: 'Completed' });
  });

  it('pause and resume with the documented 409s, with and without code', async () => {
    const aud = await create({ name: 'paused', type: 'intents', filter: intentFilter(0), intent_window_days: 7 });
    await run();
    const renew = (await detail(aud.audience_id)).renew_time;
    const paused = ok<{ audience: AudienceView }>(await call('POST', `/api/v1/audiences/${aud.audience_id}/pause`)).audience;
    expect(paused).toMatchObject({ pause_reason: 'manual', renew_time: null, previous_renew_time: renew, status: 'Completed' });
    expect(paused.paused_at).not.toBeNull();
    const again = await call('POST', `/api/v1/audiences/${aud.audience_id}/pause`);
    expect(again.statusCode).toBe(409);
    expect(json(again)).toEqual({ error: 'Audience is already paused.' });
    // Paused audiences still download and refresh by hand.
    expect((await call('GET', `/api/v1/audiences/${aud.audience_id}/download`)).statusCode).toBe(200);

    await t.app.inject({ method: 'POST', url: `/dashboard/api/orgs/${a.orgId}/projects/${projectId}/archive`, headers: dash(a.session) });
    const projectInactive = await call('POST', `/api/v1/audiences/${aud.audience_id}/resume`);
    expect(projectInactive.statusCode).toBe(409);
    expect(json(projectInactive)).toEqual({ error: 'This project is archived. Unarchive it first.', code: 'project_inactive' });
    await t.app.inject({ method: 'POST', url: `/dashboard/api/orgs/${a.orgId}/projects/${projectId}/unarchive`, headers: dash(a.session) });

    // An inactive organization's API keys stop working (401), so the session's route answers this one.
    await t.services.catalog.db.updateTable('organizations').set({ status: 'inactive' }).where('id', '=', a.orgId).execute();
    // Written past the store (there is no deactivation API yet), so say what a store write says: keys' answers changed.
    keysChanged();
    try {
      expect((await call('POST', `/api/v1/audiences/${aud.audience_id}/resume`)).statusCode).toBe(401);
      const orgInactive = await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${a.orgId}/projects/${projectId}/audiences/${aud.audience_id}/resume`,
        headers: dash(a.session),
      });
      expect(orgInactive.statusCode).toBe(409);
      expect(json(orgInactive)).toEqual({ error: 'This organization is inactive. Reactivate it first.', code: 'org_inactive' });
    } finally {
      await t.services.catalog.db.updateTable('organizations').set({ status: 'active' }).where('id', '=', a.orgId).execute();
      keysChanged();
    }

    const resumed = ok<{ audience: AudienceView }>(await call('POST', `/api/v1/audiences/${aud.audience_id}/resume`)).audience;
    expect(resumed).toMatchObject({ paused_at: null, pause_reason: null, previous_renew_time: null, renew_time: renew });
    const notPaused = await call('POST', `/api/v1/audiences/${aud.audience_id}/resume`);
    expect(notPaused.statusCode).toBe(409);
    expect(json(notPaused)).toEqual({ error: 'Audience is not paused.' });
  });

  it('PATCH changes what it is given; a new filter or window queues a run; nothing to change is a 400', async () => {
    const aud = await create({
      name: 'before',
      type: 'intents',
      filter: intentFilter(60),
      intent_window_days: 7,
      refresh_schedule: 'manual',
    });
    await run();
    expect((await detail(aud.audience_id)).record_count).toBe(1);
    const renamed = ok<{ audience: AudienceView }>(
      await call('PATCH', `/api/v1/audiences/${aud.audience_id}`, { payload: { name: 'after', description: 'd' } }),
    ).audience;
    expect(renamed).toMatchObject({ name: 'after', description: 'd', status: 'Completed' });
    const widened = ok<{ audience: AudienceView }>(
      await call('PATCH', `/api/v1/audiences/${aud.audience_id}`, {
        payload: { filter: intentFilter(0), intent_window_days: 14, refresh_schedule: 'weekly' },
      }),
    ).audience;
    expect(widened).toMatchObject({
      status: 'Pending',
      task_id: null,
      intent_window_days: 14,
      refresh_schedule: 'weekly',
      filter: intentFilter(0),
    });
    expect(new Date(Date.parse(widened.renew_time as string)).getUTCDay()).toBe(6);
    await run();
    expect((await detail(aud.audience_id)).record_count).toBe(2);
    expect((await call('PATCH', `/api/v1/audiences/${aud.audience_id}`, { payload: {} })).statusCode).toBe(400);
    expect((await call('PATCH', `/api/v1/audiences/${aud.audience_id}`, { payload: { intent_window_days: 0 } })).statusCode).toBe(400);
    const badFilter = await call('PATCH', `/api/v1/audiences/${aud.audience_id}`, {
      payload: { filter: { op: 'AND', rules: [{ field: 'nope', operator: 'eq', value: 1 }] } },
    });
    expect(badFilter.statusCode).toBe(400);
  });

  it('DELETE answers 204, then the audience and its download are not found', async () => {
    const aud = await create({ name: 'doomed', type: 'intents', filter: intentFilter(0), intent_window_days: 7 });
    await run();
    const res = await call('DELETE', `/api/v1/audiences/${aud.audience_id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    for (const path of ['', '/sample', '/download'])
      expect((await call('GET', `/api/v1/audiences/${aud.audience_id}${path}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/api/v1/audiences/${aud.audience_id}`)).statusCode).toBe(404);
  });

  it("another organization's audiences are not found, with its own key or naming our project", async () => {
    const aud = await create({ name: 'secret', type: 'intents', filter: intentFilter(0), intent_window_days: 7 });
    await run();
    for (const [method, path] of [
      ['GET', ''],
      ['PATCH', ''],
      ['POST', '/refresh'],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['GET', '/sample'],
      ['GET', '/download'],
      ['DELETE', ''],
    ] as const) {
      const res = await t.app.inject({
        method,
        url: `/api/v1/audiences/${aud.audience_id}${path}`,
        headers: { ...keyB, 'x-project-id': projectB },
        ...(method === 'PATCH' ? { payload: { name: 'stolen' } } : {}),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(json(res)).toEqual({ error: 'Audience not found.', code: 'audience_not_found' });
    }
    const naming = await t.app.inject({ url: `/api/v1/audiences?project_id=${projectId}`, headers: keyB });
    expect(naming.statusCode).toBe(404);
    expect(naming.body).not.toContain('secret');
    expect(await detail(aud.audience_id)).toMatchObject({ name: 'secret', status: 'Completed' });
  });

  it('the dashboard: the same audiences behind the session; members read, owners and admins write', async () => {
    const base = `/dashboard/api/orgs/${a.orgId}/projects/${projectId}/audiences`;
    const created = await t.app.inject({
      method: 'POST',
      url: base,
      headers: dash(a.session),
      payload: { name: 'from the dashboard', type: 'intents', filter: intentFilter(60), intent_window_days: 7 },
    });
    const aud = ok<{ audience: AudienceView }>(created, 201).audience;
    const preview = await t.app.inject({
      method: 'POST',
      url: base,
      headers: dash(a.session),
      payload: { name: 'p', type: 'intents', filter: intentFilter(0), intent_window_days: 7, mode: 'preview' },
    });
    expect(ok<{ preview: { record_count: number } }>(preview).preview.record_count).toBe(2);
    await run();
    const member = await addMember(t, a, 'member');
    const list = ok<{ audiences: AudienceView[] }>(await t.app.inject({ url: base, headers: dash(member.session) }));
    expect(list.audiences.map((x) => x.audience_id)).toContain(aud.audience_id);
    expect(
      ok<{ audience: AudienceView }>(await t.app.inject({ url: `${base}/${aud.audience_id}`, headers: dash(member.session) })).audience
        .status,
    ).toBe('Completed');
    const contacts = ok<{ contacts: AudienceContact[] }>(
      await t.app.inject({ url: `${base}/${aud.audience_id}/sample`, headers: dash(member.session) }),
    ).contacts;
    expect(contacts.map((c) => c.hem_sha256)).toEqual([sha256(ann)]);
    const csv = await t.app.inject({ url: `${base}/${aud.audience_id}/download?record_limit=1`, headers: dash(member.session) });
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain(sha256(ann));
    for (const [method, path] of [
      ['POST', ''],
      ['PATCH', `/${aud.audience_id}`],
      ['POST', `/${aud.audience_id}/refresh`],
      ['POST', `/${aud.audience_id}/pause`],
      ['DELETE', `/${aud.audience_id}`],
    ] as const) {
      const res = await t.app.inject({
        method,
        url: `${base}${path}`,
        headers: dash(member.session),
        ...(method === 'DELETE' || path.endsWith('refresh') || path.endsWith('pause')
          ? {}
          : { payload: { name: 'm', type: 'intents', filter: intentFilter(0) } }),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
    }
    const paused = await t.app.inject({ method: 'POST', url: `${base}/${aud.audience_id}/pause`, headers: dash(a.session) });
    expect(ok<{ audience: AudienceView }>(paused).audience.pause_reason).toBe('manual');
    expect((await t.app.inject({ method: 'POST', url: `${base}/${aud.audience_id}/resume`, headers: dash(a.session) })).statusCode).toBe(
      200,
    );
    expect((await t.app.inject({ method: 'POST', url: `${base}/${aud.audience_id}/refresh`, headers: dash(a.session) })).statusCode).toBe(
      200,
    );
    expect(
      (await t.app.inject({ method: 'PATCH', url: `${base}/${aud.audience_id}`, headers: dash(a.session), payload: { name: 'renamed' } }))
        .statusCode,
    ).toBe(200);
    // B's owner, naming A's organization or A's audience under B's own project: not found.
    expect((await t.app.inject({ url: base, headers: dash(b.session) })).statusCode).toBe(404);
    const underB = await t.app.inject({
      url: `/dashboard/api/orgs/${b.orgId}/projects/${projectB}/audiences/${aud.audience_id}`,
      headers: dash(b.session),
    });
    expect(underB.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `${base}/${aud.audience_id}`, headers: dash(a.session) })).statusCode).toBe(204);
  });

  // Last: it erases Bob for good.
  it('erasing a person takes them out of stored runs: sample and download no longer name them', async () => {
    const aud = await create({ name: 'Every cloud reader', type: 'intents', filter: intentFilter(0), refresh_schedule: 'manual' });
    await run();
    const hems = async () =>
      (await call('GET', `/api/v1/audiences/${aud.audience_id}/download?format=ndjson`)).body
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { hem_sha256: string }).hem_sha256)
        .sort();
    expect(await hems()).toEqual([sha256(ann), sha256(bob)].sort());
    const erased = await t.app.inject({ method: 'DELETE', url: `/api/v1/identities/${sha256(bob)}`, headers: key });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(json<{ erased: { audience_rows: number } }>(erased).erased.audience_rows).toBeGreaterThanOrEqual(1);
    expect(await hems()).toEqual([sha256(ann)]);
    expect((await sample(aud.audience_id)).map((c) => c.hem_sha256)).toEqual([sha256(ann)]);
  });

  it('a person erased while a run is computed is not in it: the worker takes them out before the run is served', async () => {
    const cy = `cy-${randomUUID()}@example.com`;
    await t.services.analytics.mergeProfiles(
      a.orgId,
      [{ hem_sha256: sha256(cy), hem_md5: md5(cy), hem_sha1: null, first_name: 'Cy', seniority_level: 'vp' }],
      Date.now(),
    );
    await send([view('v-cy', CLOUD_PAGES[0] as Page), view('v-cy', CLOUD_PAGES[2] as Page)]);
    await send([identify('v-cy', cy)]);
    const aud = await create({ name: 'Cloud, during an erasure', type: 'intents', filter: intentFilter(0), refresh_schedule: 'manual' });
    // The real evaluator and stores; the erasure lands after the scores are staged (Cy among them)
    // and before the run's rows are written, as a request arriving mid-run would.
    const evaluator = new AudienceEvaluator({
      analytics: t.services.analytics,
      intent: t.services.intent,
      pixelIdsEver: (id) => t.services.pixels.pixelIdsEver(id),
      now: () => Date.now(),
    });
    let erasedMidRun = 0;
    const jobs = workerWith(
      t.services,
      {
        prepare: async (q) => {
          const prepared = await evaluator.prepare(q);
          const erased = await t.app.inject({ method: 'DELETE', url: `/api/v1/identities/${sha256(cy)}`, headers: key });
          expect(erased.statusCode, erased.body).toBe(200);
          erasedMidRun = json<{ erased: { links: number } }>(erased).erased.links;
          return prepared;
        },
      },
      { now: () => Date.now() },
    );
    expect((await jobs.runPending()).map((r) => r.outcome)).toEqual(['completed']);
    expect(erasedMidRun).toBe(1);
    const hems = (await call('GET', `/api/v1/audiences/${aud.audience_id}/download?format=ndjson`)).body
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { hem_sha256: string }).hem_sha256);
    expect(hems).toEqual([sha256(ann)]);
    expect((await sample(aud.audience_id)).map((c) => c.hem_sha256)).toEqual([sha256(ann)]);
    // The next run computes without them, and its counts agree.
    expect((await call('POST', `/api/v1/audiences/${aud.audience_id}/refresh`)).statusCode).toBe(200);
    expect((await run()).map((r) => r.outcome)).toEqual(['completed']);
    expect(await detail(aud.audience_id)).toMatchObject({ status: 'Completed', record_count: 1 });
  });
});
