// The dashboard's identity routes (src/identity/routes.dashboard.ts): the People list with each
// person's name, company, title, visitors and resolved events; a Person page with grouped profile
// fields, links and the event timeline newest first; unlink and erase for owners and admins only,
// with their effect on resolution; every member may read; other tenants 404; no session 401.
// Runs on DuckDB, and on ClickHouse too when CLICKHOUSE_URL is set.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardPeople, DashboardPerson, ErasedBody } from '../../src/wire.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { analyticsBackends } from '../support/backends.js';
import { addMember, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

const backends = analyticsBackends('people');

describe.each(backends)('on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let owner: Tenant;
  let admin: Tenant;
  let member: Tenant;
  let pixelId = '';
  const tag = randomUUID().slice(0, 8);
  const ann = { email: `ann-${tag}@acme.example`, visitor: `v-ann-${tag}` };
  const bob = { email: `bob-${tag}@other.example`, visitor: `v-bob-${tag}` };
  const anon = `v-anon-${tag}`;
  const now = Date.now();

  const get = <T>(who: Tenant, path: string, org = owner.orgId) =>
    t.app
      .inject({ url: `/dashboard/api/orgs/${org}${path}`, headers: dash(who.session) })
      .then((r) => ({ status: r.statusCode, body: json<T>(r) }));
  const del = (who: Tenant, path: string, org = owner.orgId) =>
    t.app.inject({ method: 'DELETE', url: `/dashboard/api/orgs/${org}${path}`, headers: dash(who.session) });

  async function send(events: Record<string, unknown>[]): Promise<void> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/pixel/core/api/send-event',
      headers: { 'user-agent': CHROME, 'content-type': 'application/json' },
      payload: JSON.stringify({
        events: events.map((e) => ({ pixel_id: pixelId, organization_id: owner.orgId, event_url: 'https://acme.example/', ...e })),
      }),
    });
    expect(res.statusCode, res.body).toBe(200);
  }

  beforeAll(async () => {
    t = await makeTestApp(env);
    owner = await newTenant(t);
    admin = await addMember(t, owner, 'admin');
    member = await addMember(t, owner, 'member');
    const project = json<{ project: { project_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects`,
        headers: dash(owner.session),
        payload: { name: 'site' },
      }),
    ).project.project_id;
    pixelId = json<{ pixel: { pixel_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${owner.orgId}/projects/${project}/pixels`,
        headers: dash(owner.session),
        payload: { title: 'main' },
      }),
    ).pixel.pixel_id;
    await t.services.analytics.mergeProfiles(
      owner.orgId,
      [
        {
          hem_sha256: sha256(ann.email),
          hem_md5: md5(ann.email),
          hem_sha1: null,
          first_name: 'Ann',
          last_name: 'Lee',
          current_business_email: ann.email,
          job_title: 'CTO',
          seniority_level: 'cxo',
          company_name: 'Acme',
          company_revenue: 12_000_000,
          company_employee_count: 1200,
          income_range: '150k-250k',
        },
      ],
      now,
    );
    // Ann browses three pages and identifies; Bob (no profile) views one page and identifies later
    // than Ann; a third visitor never identifies.
    await send([
      { event_type: 'page_view', visitor_id: ann.visitor, ts: now - 240_000, event_url: 'https://acme.example/' },
      { event_type: 'page_view', visitor_id: ann.visitor, ts: now - 180_000, event_url: 'https://acme.example/pricing' },
      { event_type: 'page_view', visitor_id: ann.visitor, ts: now - 120_000, event_url: 'https://acme.example/contact' },
      { event_type: 'identify', visitor_id: ann.visitor, hem_sha256: sha256(ann.email), ts: now - 60_000 },
      { event_type: 'page_view', visitor_id: bob.visitor, ts: now - 50_000 },
      { event_type: 'identify', visitor_id: bob.visitor, hem_sha256: sha256(bob.email), ts: now - 30_000 },
      { event_type: 'page_view', visitor_id: anon, ts: now - 20_000 },
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  describe('People', () => {
    it('lists identified people, most recently seen first, with profile, visitors and resolved events', async () => {
      const { status, body } = await get<DashboardPeople>(member, '/people');
      expect(status).toBe(200);
      expect(body).toMatchObject({ total: 2, limit: 25, offset: 0 });
      expect(body.people).toEqual([
        {
          hem_sha256: sha256(bob.email),
          name: null,
          email: null,
          company_name: null,
          job_title: null,
          has_profile: false,
          last_seen: new Date(now - 30_000).toISOString(),
          visitors: 1,
          events: 2,
        },
        {
          hem_sha256: sha256(ann.email),
          name: 'Ann Lee',
          email: ann.email,
          company_name: 'Acme',
          job_title: 'CTO',
          has_profile: true,
          last_seen: new Date(now - 60_000).toISOString(),
          visitors: 1,
          events: 4,
        },
      ]);
      const second = await get<DashboardPeople>(member, '/people?limit=1&offset=1');
      expect(second.body.people.map((p) => p.name)).toEqual(['Ann Lee']);
      expect(second.body).toMatchObject({ total: 2, limit: 1, offset: 1 });
    });

    it('shows a person: grouped fields with readable values, links with their source, the timeline newest first', async () => {
      const { status, body } = await get<DashboardPerson>(member, `/people/${sha256(ann.email).toUpperCase()}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ hem_sha256: sha256(ann.email), name: 'Ann Lee', email: ann.email });
      expect(body.profile).toMatchObject({ hem_md5: md5(ann.email), first_name: 'Ann', company_name: 'Acme' });
      const field = (key: string) => body.fields.find((f) => f.key === key);
      expect(field('seniority_level')).toEqual({
        key: 'seniority_level',
        label: 'Seniority Level',
        category: 'contact',
        value: 'cxo',
        display: 'CXO',
      });
      expect(field('company_revenue')).toMatchObject({ category: 'company', value: 12_000_000, display: '$12,000,000' });
      expect(field('company_employee_count')).toMatchObject({ display: '1,200' });
      expect(field('income_range')).toMatchObject({ category: 'demographics', display: '$150k-$250k' });
      expect(field('phone')).toMatchObject({ category: 'contact', value: null, display: null });
      expect(new Set(body.fields.map((f) => f.category))).toEqual(new Set(['contact', 'company', 'demographics']));
      expect(body.links).toEqual([
        {
          visitor_id: ann.visitor,
          source: 'identify',
          first_seen: new Date(now - 60_000).toISOString(),
          last_seen: new Date(now - 60_000).toISOString(),
        },
      ]);
      expect(body.timeline).toMatchObject({ count: 4, page: 0, limit: 50, has_more: false });
      expect(body.timeline.events.map((e) => [e.event_type, e.url])).toEqual([
        ['identify', 'https://acme.example/'],
        ['page_view', 'https://acme.example/contact'],
        ['page_view', 'https://acme.example/pricing'],
        ['page_view', 'https://acme.example/'],
      ]);
      for (const e of body.timeline.events) expect(e).toMatchObject({ resolved: true, hem_sha256: sha256(ann.email), first_name: 'Ann' });

      const paged = await get<DashboardPerson>(member, `/people/${sha256(ann.email)}?limit=3&page=1`);
      expect(paged.body.timeline).toMatchObject({ count: 4, page: 1, has_more: false });
      expect(paged.body.timeline.events.map((e) => e.url)).toEqual(['https://acme.example/']);
    });

    it('refuses a malformed HEM (400) and an unknown one (404)', async () => {
      const bad = await get<{ error: string; details: string }>(member, '/people/not-a-hem');
      expect(bad.status).toBe(400);
      expect(bad.body.details).toMatch(/64 hexadecimal/);
      const unknown = await get<{ error: string }>(member, `/people/${sha256(`nobody-${tag}@example.com`)}`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toBe('Identity not found.');
      expect((await get(member, '/people?limit=0')).status).toBe(400);
      expect((await get(member, '/people?limit=101')).status).toBe(400);
    });

    it('is 404 to another organization and 401 without a session', async () => {
      const other = await newTenant(t);
      expect((await get(other, '/people')).status).toBe(404);
      expect((await get(other, `/people/${sha256(ann.email)}`)).status).toBe(404);
      expect((await del(other, `/people/${sha256(ann.email)}/links/${ann.visitor}`)).statusCode).toBe(404);
      expect((await del(other, `/people/${sha256(ann.email)}`)).statusCode).toBe(404);
      // In its own organization, B does not see A's people.
      expect((await get<DashboardPeople>(other, '/people', other.orgId)).body).toMatchObject({ people: [], total: 0 });
      expect((await get(other, `/people/${sha256(ann.email)}`, other.orgId)).status).toBe(404);
      expect((await t.app.inject({ url: `/dashboard/api/orgs/${owner.orgId}/people` })).statusCode).toBe(401);
      expect(
        (await t.app.inject({ method: 'DELETE', url: `/dashboard/api/orgs/${owner.orgId}/people/${sha256(ann.email)}` })).statusCode,
      ).toBe(401);
    });
  });

  describe('unlink and erase', () => {
    it('a member may not unlink or erase (403), and nothing changes', async () => {
      const unlink = await del(member, `/people/${sha256(ann.email)}/links/${ann.visitor}`);
      expect(unlink.statusCode).toBe(403);
      expect((await del(member, `/people/${sha256(ann.email)}`)).statusCode).toBe(403);
      expect((await get<DashboardPerson>(owner, `/people/${sha256(ann.email)}`)).body.links).toHaveLength(1);
    });

    it('an admin unlinks a visitor: their events are unresolved, the person leaves the list, the profile stays', async () => {
      const res = await del(admin, `/people/${sha256(ann.email)}/links/${ann.visitor}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(json(res)).toEqual({ hem_sha256: sha256(ann.email), visitor_id: ann.visitor, unlinked: true });
      const person = await get<DashboardPerson>(owner, `/people/${sha256(ann.email)}`);
      expect(person.status).toBe(200);
      expect(person.body).toMatchObject({ name: 'Ann Lee', links: [], timeline: { count: 0, events: [] } });
      const people = await get<DashboardPeople>(owner, '/people');
      expect(people.body.people.map((p) => p.hem_sha256)).toEqual([sha256(bob.email)]);
      expect((await del(admin, `/people/${sha256(ann.email)}/links/${ann.visitor}`)).statusCode).toBe(404);
      const events = await t.app.inject({
        url: `/dashboard/api/orgs/${owner.orgId}/events?start_ms=${now - 3_600_000}&end_ms=${now + 60_000}&filter=${encodeURIComponent(`visitor_id:eq:${ann.visitor}`)}`,
        headers: dash(owner.session),
      });
      const rows = json<{ events: { resolved: boolean; first_name: string | null }[] }>(events).events;
      expect(rows).toHaveLength(4);
      for (const e of rows) expect(e).toMatchObject({ resolved: false, first_name: null });
    });

    it('the owner erases a person: what was removed, then 404 and gone from the list', async () => {
      const res = await del(owner, `/people/${sha256(bob.email)}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(json<ErasedBody>(res)).toEqual({
        hem_sha256: sha256(bob.email),
        erased: { profiles: 0, links: 1, events: 1, audience_rows: 0 },
      });
      expect((await get(owner, `/people/${sha256(bob.email)}`)).status).toBe(404);
      expect((await get<DashboardPeople>(owner, '/people')).body).toMatchObject({ people: [], total: 0 });
      expect((await del(owner, `/people/${sha256(bob.email)}`)).statusCode).toBe(404);
    });
  });
});
