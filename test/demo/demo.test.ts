// The demo dataset (src/demo): loaded through the operator API and the dashboard into a fresh
// organization, it makes a project and a pixel whose events, profiles and visitor links behave like
// collected data: the site's pages are classified by the real classifier into the topics they were
// written about, the people the generator made surge are the ones intent scoring finds surging,
// the People list counts exactly the identified people, and the events are all readable. A second
// load is refused (409), bad sizes are 400, other organizations 404, members 403.
// Runs on DuckDB, and on ClickHouse too when CLICKHOUSE_URL is set.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../src/demo/generate.js';
import type { DemoLoadedOut } from '../../src/demo/schemas.js';
import { DEMO_HOST, DEMO_TOPICS } from '../../src/demo/site.js';
import { ADMIN_TOKEN, makeTestApp, type TestApp } from '../support/app.js';
import { analyticsBackends } from '../support/backends.js';
import { addMember, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const SIZE = { people: 300, days: 21 };

describe.each(analyticsBackends('demo'))('demo data on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let owner: Tenant;
  let loaded: DemoLoadedOut;
  let now = 0;

  beforeAll(async () => {
    t = await makeTestApp(env);
    owner = await newTenant(t);
    const res = await t.app.inject({ method: 'POST', url: `/admin/v1/organizations/${owner.orgId}/demo`, headers: admin, payload: SIZE });
    expect(res.statusCode, res.body).toBe(201);
    loaded = json<DemoLoadedOut>(res);
    now = Date.now();
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  it('makes a project and a pixel, and says what it wrote', async () => {
    expect(loaded.people).toBe(SIZE.people);
    expect(loaded.identified_people).toBeGreaterThan(SIZE.people * 0.6);
    expect(loaded.identified_people).toBeLessThan(SIZE.people);
    expect(loaded.surging_people).toBeGreaterThan(5);
    expect(loaded.topic_ids).toEqual(DEMO_TOPICS.map((x) => x.topicId));
    const projects = json<{ projects: { project_id: string; name: string }[] }>(
      await t.app.inject({ url: `/dashboard/api/orgs/${owner.orgId}/projects`, headers: dash(owner.session) }),
    ).projects;
    expect(projects.map((p) => p.project_id)).toContain(loaded.project_id);
    const stored = await t.services.analytics.countEvents({
      organizationId: owner.orgId,
      pixelIds: [loaded.pixel_id],
      startMs: 0,
      endMs: now,
    });
    expect(stored).toBe(loaded.events);
    // The last day's events (offset pages cover a day at most) are readable with the site's URLs.
    const all = json<{ count: number }>(
      await t.app.inject({
        url: `/dashboard/api/orgs/${owner.orgId}/event_counts?project_id=${loaded.project_id}&start_ms=${now - 30 * 86_400_000}&end_ms=${now}`,
        headers: dash(owner.session),
      }),
    );
    expect(all.count).toBe(loaded.events);
    const pageRes = await t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/events?project_id=${loaded.project_id}&start_ms=${now - 86_400_000}&end_ms=${now}&limit=50`,
      headers: dash(owner.session),
    });
    expect(pageRes.statusCode, pageRes.body).toBe(200);
    const page = json<{ events: { url: string; event_type: string }[] }>(pageRes).events;
    expect(page.length).toBe(50);
    for (const e of page) expect(e.url.startsWith(`https://${DEMO_HOST}/`)).toBe(true);
  });

  it('counts exactly the identified people on the People page, with their CRM profiles', async () => {
    const people = json<{ total: number; people: { company_name: string | null; job_title: string | null }[] }>(
      await t.app.inject({ url: `/dashboard/api/orgs/${owner.orgId}/people?limit=10`, headers: dash(owner.session) }),
    );
    expect(people.total).toBe(loaded.identified_people);
    for (const p of people.people) {
      expect(p.company_name).toBeTruthy();
      expect(p.job_title).toBeTruthy();
    }
  });

  it('classifies every topic page into the topic it was written for, and finds the people the generator made surge', async () => {
    const intent = t.services.intent;
    // The generator is deterministic for a seed: regenerate to learn who was meant to surge on what.
    const expected = generateDemo({ organizationId: 'x', projectId: 'x', pixelId: 'x', ...SIZE, now });
    const surgers = new Map(expected.people.filter((p) => p.surgeTopic).map((p) => [p.hem_sha256, p.surgeTopic as string]));
    expect(surgers.size).toBe(loaded.surging_people);
    const scores = await intent.peopleScores(owner.orgId, {
      topicIds: loaded.topic_ids,
      windowDays: 3,
      minScore: 60,
      asOfDay: Math.floor(now / 86_400_000),
    });
    // Every planted surge is found on its topic, strongly (80+)...
    const strong = scores.filter((s) => s.intent_score >= 80);
    const found = new Set(strong.filter((s) => surgers.get(s.hem_sha256) === s.topic_id).map((s) => s.hem_sha256));
    expect(found.size).toBe(surgers.size);
    // ...and nearly every strong surge was planted. Ordinary readers having a busy day surge mildly (60-79), as in real data.
    expect(strong.length - found.size).toBeLessThanOrEqual(Math.floor(strong.length * 0.1));
    expect(scores.length).toBeGreaterThan(strong.length);
    // Nobody who never visited scores.
    const crmOnly = new Set(expected.people.filter((p) => p.visitors.length === 0).map((p) => p.hem_sha256));
    expect(scores.filter((s) => crmOnly.has(s.hem_sha256))).toEqual([]);
  });

  it("ranks the demo's topics by surging people for the audience builder, and searches narrow it", async () => {
    const expected = generateDemo({ organizationId: 'x', projectId: 'x', pixelId: 'x', ...SIZE, now });
    const planted = new Map<string, number>();
    for (const p of expected.people) if (p.surgeTopic) planted.set(p.surgeTopic, (planted.get(p.surgeTopic) ?? 0) + 1);
    const res = await t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/intent/surging-topics?window_days=3`,
      headers: dash(owner.session),
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<{ window_days: number; topics: { topic_id: string; name: string; surging_people: number }[] }>(res);
    expect(body.window_days).toBe(3);
    const counts = body.topics.map((x) => x.surging_people);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    for (const [topic, n] of planted) {
      const row = body.topics.find((x) => x.topic_id === topic);
      // Everyone planted surges on it, and a few ordinary readers having a busy day too.
      expect(row?.surging_people, topic).toBeGreaterThanOrEqual(n);
      expect(row?.surging_people, topic).toBeLessThan(n * 3 + 10);
    }
    expect(body.topics.find((x) => x.topic_id === 'iab_ct_620')?.name).toBe('Cloud Computing');
    const one = json<{ topics: { topic_id: string }[] }>(
      await t.app.inject({
        url: `/dashboard/api/orgs/${owner.orgId}/intent/surging-topics?window_days=3&topic_ids=iab_ct_618,iab_ct_1`,
        headers: dash(owner.session),
      }),
    );
    expect(one.topics.map((x) => x.topic_id).sort()).toEqual(['iab_ct_1', 'iab_ct_618']);
  });

  it('serves the field catalog to the dashboard as the data API does', async () => {
    const res = await t.app.inject({
      url: `/dashboard/api/orgs/${owner.orgId}/field-catalog?schema_type=audience&include_options=true`,
      headers: dash(owner.session),
    });
    expect(res.statusCode).toBe(200);
    const fields = json<{ total_count: number; fields: { field_key: string; operators: string[] }[] }>(res);
    expect(fields.total_count).toBe(fields.fields.length);
    expect(fields.fields.find((f) => f.field_key === 'seniority_level')?.operators).toContain('in');
  });

  it('refuses a second load, bad sizes and unknown organizations', async () => {
    const again = await t.app.inject({ method: 'POST', url: `/admin/v1/organizations/${owner.orgId}/demo`, headers: admin, payload: {} });
    expect(again.statusCode).toBe(409);
    expect(json(again)).toEqual({
      error: 'This organization already has the demo project.',
      code: 'demo_exists',
      details: `project ${loaded.project_id}`,
    });
    const tiny = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/organizations/${owner.orgId}/demo`,
      headers: admin,
      payload: { people: 5 },
    });
    expect(tiny.statusCode).toBe(400);
    const unknown = await t.app.inject({
      method: 'POST',
      url: `/admin/v1/organizations/${randomUUID()}/demo`,
      headers: admin,
      payload: {},
    });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown)).toMatchObject({ error: 'Organization not found.' });
    const noToken = await t.app.inject({ method: 'POST', url: `/admin/v1/organizations/${owner.orgId}/demo`, payload: {} });
    expect(noToken.statusCode).toBe(401);
  });

  it('loads from the dashboard for owners and admins; members and other organizations cannot', async () => {
    const other = await newTenant(t);
    const member = await addMember(t, other, 'member');
    const asMember = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${other.orgId}/demo`,
      headers: dash(member.session),
      payload: { people: 20, days: 7 },
    });
    expect(asMember.statusCode).toBe(403);
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${owner.orgId}/demo`,
      headers: dash(other.session),
      payload: { people: 20, days: 7 },
    });
    expect(elsewhere.statusCode).toBe(404);
    const res = await t.app.inject({
      method: 'POST',
      url: `/dashboard/api/orgs/${other.orgId}/demo`,
      headers: dash(other.session),
      payload: { people: 20, days: 7 },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(json<DemoLoadedOut>(res).people).toBe(20);
  }, 60_000);
});
