// Identity over HTTP: lookup (spec section 9, every documented body exactly), the field catalog
// (section 10) and its agreement with events_schema, lookup and import, a person with the visitors
// linked to them, unlink and erase as the Events API sees them, $DLVRHEM in redirects and cookie
// sync links, and the legacy user-JWT rule (identity only with x-organization-id). DuckDB, and
// ClickHouse too when CLICKHOUSE_URL is set.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_KEYS } from '../../src/identity/fields.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { createKey, dash, dataToken, json, newTenant, type Tenant } from '../support/tenant.js';

const chUrl = process.env.CLICKHOUSE_URL;
const backends: [string, Record<string, string>][] = [['duckdb', {}]];
if (chUrl) {
  const url = new URL(chUrl);
  url.pathname = `/delivr_identity_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  backends.push(['clickhouse', { CLICKHOUSE_URL: url.toString() }]);
}

const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

const INVALID = {
  error: 'Invalid input: neither hem nor email provided, a malformed hem, or a hem_type that does not match the hem.',
  code: 'lookup_invalid',
};
const NOT_FOUND = { error: 'No record found for the given HEM.', code: 'lookup_not_found' };
const UNSUPPORTED = { error: 'Lookup is not available for the requested hem type.', code: 'lookup_unsupported' };

describe.each(backends)('identity on %s', (_name, env) => {
  let t: TestApp;
  let a: Tenant;
  let key: { apiKey: string; apiSecret: string };
  let pixelId: string;
  const email = `Ann.Lee-${randomUUID().slice(0, 6)}@Acme.example`;
  const norm = email.trim().toLowerCase();

  const data = (url: string, method: 'GET' | 'DELETE' = 'GET', k = key) =>
    t.app.inject({ method, url, headers: { 'x-api-key': k.apiKey, 'x-api-secret': k.apiSecret } });
  const send = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/pixel/core/api/send-event', headers: { 'user-agent': CHROME }, payload });
  const ev = (over: Record<string, unknown>) => ({
    event_type: 'page_view',
    pixel_id: pixelId,
    organization_id: a.orgId,
    event_url: 'https://acme.example/pricing',
    ts: Date.now(),
    ...over,
  });
  const range = () => `start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}`;
  const events = async (extra = '', headers?: Record<string, string>) => {
    const res = await t.app.inject({
      url: `/api/v1/events?pixel_id=${pixelId}&${range()}&${extra}`,
      headers: headers ?? { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret },
    });
    expect(res.statusCode, res.body).toBe(200);
    return json<{ events: Record<string, unknown>[] }>(res).events;
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
      [
        {
          hem_sha256: sha256(norm),
          hem_md5: md5(norm),
          hem_sha1: sha1(norm),
          first_name: 'Ann',
          last_name: 'Lee',
          company_name: 'Acme',
          is_email_business: 'true',
          company_employee_count: 250,
        },
      ],
      Date.now(),
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('lookup', () => {
    it('answers the same flat record by SHA-256, MD5 and email (normalised and hashed for you)', async () => {
      const bySha = await data(`/api/v1/lookup?hem=${sha256(norm)}`);
      expect(bySha.statusCode, bySha.body).toBe(200);
      const record = json(bySha);
      expect(record).toMatchObject({
        hem_sha256: sha256(norm),
        hem_md5: md5(norm),
        hem_sha1: sha1(norm),
        first_name: 'Ann',
        company_name: 'Acme',
      });
      expect(Object.keys(record).sort()).toEqual(['hem_md5', 'hem_sha1', 'hem_sha256', ...IDENTITY_KEYS].sort());
      expect(json(await data(`/api/v1/lookup?hem=${md5(norm).toUpperCase()}&hem_type=md5`))).toEqual(record);
      expect(json(await data(`/api/v1/lookup?email=${encodeURIComponent(`  ${email} `)}`))).toEqual(record);
      expect(json(await data(`/api/v1/lookup?hem=${sha256(norm)}&hem_type=sha256`))).toEqual(record);
    });

    it('select keeps only the fields asked for; filter as on events, a filtered-out record is 404', async () => {
      expect(json(await data(`/api/v1/lookup?hem=${sha256(norm)}&select=first_name,company_employee_count`))).toEqual({
        first_name: 'Ann',
        company_employee_count: 250,
      });
      expect((await data(`/api/v1/lookup?hem=${sha256(norm)}&filter=is_email_business:eq:"true",first_name:like:A%25`)).statusCode).toBe(
        200,
      );
      expect((await data(`/api/v1/lookup?hem=${sha256(norm)}&filter=company_employee_count:gt:200`)).statusCode).toBe(200);
      const excluded = await data(`/api/v1/lookup?hem=${sha256(norm)}&filter=first_name:ne:Ann`);
      expect([excluded.statusCode, json(excluded)]).toEqual([404, NOT_FOUND]);
      expect((await data(`/api/v1/lookup?hem=${sha256(norm)}&select=url`)).statusCode).toBe(400);
      expect((await data(`/api/v1/lookup?hem=${sha256(norm)}&filter=url:eq:x`)).statusCode).toBe(400);
    });

    it('every documented error body, exactly', async () => {
      const cases: [string, number, unknown][] = [
        ['/api/v1/lookup', 400, INVALID],
        [`/api/v1/lookup?hem=${sha256(norm)}&email=${encodeURIComponent(email)}`, 400, INVALID],
        ['/api/v1/lookup?hem=abc', 400, INVALID],
        [`/api/v1/lookup?hem=${sha1(norm)}`, 400, INVALID],
        [`/api/v1/lookup?hem=${sha256(norm)}&hem_type=md5`, 400, INVALID],
        [`/api/v1/lookup?hem=${md5(norm)}&hem_type=sha256`, 400, INVALID],
        ['/api/v1/lookup?email=not-an-email', 400, INVALID],
        [`/api/v1/lookup?hem=${sha256('nobody@acme.example')}`, 404, NOT_FOUND],
        [`/api/v1/lookup?hem=${sha1(norm)}&hem_type=sha1`, 501, UNSUPPORTED],
      ];
      for (const [url, status, body] of cases) {
        const res = await data(url);
        expect([res.statusCode, json(res)], url).toEqual([status, body]);
      }
      const anon = await t.app.inject({ url: `/api/v1/lookup?hem=${sha256(norm)}` });
      expect([anon.statusCode, json(anon).error]).toEqual([401, 'Missing or invalid authentication.']);
    });

    it('another organization gets 404, never the record', async () => {
      const b = await newTenant(t);
      const bKey = await createKey(t, b);
      const res = await data(`/api/v1/lookup?email=${encodeURIComponent(email)}`, 'GET', bKey);
      expect([res.statusCode, json(res)]).toEqual([404, NOT_FOUND]);
    });
  });

  describe('field catalog', () => {
    it('lists fields with every documented property, filtered by schema_type, category and status', async () => {
      const all = json<{ total_count: number; fields: Record<string, unknown>[] }>(await data('/api/v1/field-catalog'));
      expect(all.total_count).toBe(all.fields.length);
      const seniority = all.fields.find((f) => f.field_key === 'seniority_level');
      expect(seniority).toMatchObject({
        display_name: 'Seniority Level',
        category: 'contact',
        data_type: 'string',
        field_type: 'multiselect',
        operators: ['in', 'notin', 'not_null'],
        status: 'active',
      });
      expect(seniority?.options).toBeUndefined();
      expect(String(seniority?.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const withOptions = json<{ fields: { field_key: string; options?: { value: string }[] }[] }>(
        await data('/api/v1/field-catalog?include_options=true&category=contact'),
      );
      expect(withOptions.fields.find((f) => f.field_key === 'seniority_level')?.options?.map((o) => o.value)).toEqual([
        'cxo',
        'vp',
        'director',
        'manager',
        'staff',
      ]);
      const audience = json<{ fields: { schema_types: string[]; category: string }[] }>(
        await data('/api/v1/field-catalog?schema_type=audience'),
      );
      expect(audience.fields.every((f) => f.schema_types.includes('audience'))).toBe(true);
      expect(audience.fields.some((f) => f.category === 'event')).toBe(false);
      expect(json<{ total_count: number }>(await data('/api/v1/field-catalog?status=deprecated')).total_count).toBe(0);
      expect((await data('/api/v1/field-catalog?category=nonsense')).statusCode).toBe(400);
      // Stable ids: the same on every call, from the field key.
      expect(json<{ fields: { id: string }[] }>(await data('/api/v1/field-catalog')).fields.map((f) => f.id)).toEqual(
        all.fields.map((f) => f.id),
      );
    });

    it('its identity fields are exactly those events_schema, lookup and import accept', async () => {
      const catalog = json<{ fields: { field_key: string; category: string; data_type: string }[] }>(await data('/api/v1/field-catalog'));
      const identity = catalog.fields.filter((f) => ['contact', 'company', 'demographics'].includes(f.category)).map((f) => f.field_key);
      const schema = json<{ fields: { name: string; data_type: string }[] }>(await data('/api/v1/events_schema')).fields;
      const stored = new Set(['event_id', 'hem_sha256', 'resolved']);
      const eventIdentity = schema.map((f) => f.name).filter((n) => identity.includes(n));
      const lookup = Object.keys(json(await data(`/api/v1/lookup?hem=${sha256(norm)}`))).filter((k) => !k.startsWith('hem_'));
      expect(identity.length).toBeGreaterThan(15);
      expect(eventIdentity).toEqual(identity);
      expect(lookup.sort()).toEqual([...identity].sort());
      expect([...IDENTITY_KEYS].sort()).toEqual([...identity].sort());
      for (const f of schema) if (!stored.has(f.name)) expect(['Utf8', 'Int64', 'Int32', 'Boolean']).toContain(f.data_type);
    });
  });

  describe('resolution, person, unlink and erase', () => {
    it('a form submission links the visitor: all its events, earlier ones too, come back resolved with the profile', async () => {
      const visitor = `v-${randomUUID().slice(0, 8)}`;
      const other = `v-${randomUUID().slice(0, 8)}`;
      for (const [i, path] of ['/a', '/b', '/c'].entries()) {
        expect(
          (await send(ev({ visitor_id: visitor, event_url: `https://acme.example${path}`, ts: Date.now() - 10_000 + i }))).statusCode,
        ).toBe(200);
      }
      expect((await send(ev({ visitor_id: other }))).statusCode).toBe(200);
      const before = await events(`filter=visitor_id:eq:${visitor}`);
      expect(before.map((e) => e.resolved)).toEqual([false, false, false]);
      expect((await send(ev({ event_type: 'form_submission', visitor_id: visitor, hem_sha256: sha256(norm) }))).statusCode).toBe(200);

      const mine = await events(`filter=visitor_id:eq:${visitor}`);
      expect(mine.map((e) => [e.resolved, e.hem_sha256, e.first_name, e.company_name])).toEqual(
        Array(4).fill([true, sha256(norm), 'Ann', 'Acme']),
      );
      const theirs = await events(`filter=visitor_id:eq:${other}`);
      expect(theirs.map((e) => [e.resolved, e.first_name])).toEqual([[false, null]]);
      // Identity fields in filter, select and distinct.
      expect((await events(`filter=first_name:eq:Ann,visitor_id:eq:${visitor}&select=event_id,company_name`)).length).toBe(4);
      expect((await events(`filter=is_email_business:eq:"true",visitor_id:ne:null&select=company_name`))[0]).toEqual({
        company_name: 'Acme',
      });
      const distinct = await events(`filter=visitor_id:eq:${visitor}&distinct=company_name&select=company_name`);
      expect(distinct).toEqual([{ company_name: 'Acme' }]);

      // The person, with the link and its source.
      const person = await data(`/api/v1/identities/${sha256(norm)}`);
      expect(person.statusCode, person.body).toBe(200);
      const body = json<{ profile: Record<string, unknown>; links: { visitor_id: string; source: string }[] }>(person);
      expect(body.profile.first_name).toBe('Ann');
      expect(body.links.find((l) => l.visitor_id === visitor)?.source).toBe('form');

      // Unlink: that visitor's events are unresolved again; a second unlink is 404.
      const unlinked = await data(`/api/v1/identities/${sha256(norm)}/links/${visitor}`, 'DELETE');
      expect([unlinked.statusCode, json(unlinked)]).toEqual([200, { hem_sha256: sha256(norm), visitor_id: visitor, unlinked: true }]);
      expect((await events(`filter=visitor_id:eq:${visitor}`)).map((e) => e.resolved)).toEqual([false, false, false, false]);
      expect((await data(`/api/v1/identities/${sha256(norm)}/links/${visitor}`, 'DELETE')).statusCode).toBe(404);
    });

    it('legacy user JWTs get identity fields only with x-organization-id; key + secret always', async () => {
      const visitor = `v-${randomUUID().slice(0, 8)}`;
      expect((await send(ev({ event_type: 'identify', visitor_id: visitor, hem_sha256: sha256(norm) }))).statusCode).toBe(200);
      const jwt = await dataToken(t, a);
      const raw = await events(`filter=visitor_id:eq:${visitor}`, { authorization: `Bearer ${jwt}` });
      expect(Object.keys(raw[0] ?? {})).not.toContain('first_name');
      const named = await events(`filter=visitor_id:eq:${visitor}`, { authorization: `Bearer ${jwt}`, 'x-organization-id': a.orgId });
      expect(named.map((e) => [e.resolved, e.first_name])).toEqual([[true, 'Ann']]);
      const refused = await t.app.inject({
        url: `/api/v1/events?pixel_id=${pixelId}&${range()}&select=first_name`,
        headers: { authorization: `Bearer ${jwt}` },
      });
      expect(refused.statusCode).toBe(400);
    });

    it('fills $DLVRHEM from the link, and cookie sync links client_uid to sha256_hem', async () => {
      const visitor = `v-${randomUUID().slice(0, 8)}`;
      const bob = sha256(`bob-${randomUUID()}@acme.example`);
      // Redirects go only to hosts registered for the pixel (issue 15).
      const registered = await t.app.inject({
        method: 'PATCH',
        url: `/dashboard/api/orgs/${a.orgId}/pixels/${pixelId}`,
        headers: dash(a.session),
        payload: { redirect_hosts: ['partner.example'] },
      });
      expect(registered.statusCode, registered.body).toBe(200);
      const synced = await t.app.inject({
        url: `/pixel/core/api/sync?client_id=${pixelId}&client_uid=${visitor}&sha256_hem=${bob}&redir=${encodeURIComponent('https://partner.example/s?h=$DLVRHEM&c=$DLVRCOOKIE')}`,
      });
      expect(synced.statusCode).toBe(302);
      expect(synced.headers.location).toBe(`https://partner.example/s?h=${bob}&c=${visitor}`);
      const links = json<{ links: { visitor_id: string; source: string }[] }>(await data(`/api/v1/identities/${bob}`)).links;
      expect(links).toEqual([expect.objectContaining({ visitor_id: visitor, source: 'sync' })]);
      // A later sync without the hem answers it from the link.
      const again = await t.app.inject({
        url: `/pixel/core/api/sync?client_id=${pixelId}&client_uid=${visitor}&redir=${encodeURIComponent('https://partner.example/s?h=$DLVRHEM')}`,
      });
      expect(again.headers.location).toBe(`https://partner.example/s?h=${bob}`);
      const get = await t.app.inject({
        url:
          `/pixel/core/api/send-event/get?event_type=page_view&event_data=%7B%7D&organization_id=${a.orgId}&pixel_id=${pixelId}` +
          `&event_url=${encodeURIComponent('https://acme.example/')}&visitor_id=${visitor}&redir=${encodeURIComponent('https://partner.example/g?h=$DLVRHEM')}`,
        headers: { 'user-agent': CHROME },
      });
      expect([get.statusCode, get.headers.location]).toEqual([302, `https://partner.example/g?h=${bob}`]);
    });

    it('erasure removes the profile, the links and the HEM from stored events; lookup is 404 afterwards', async () => {
      const who = `erase-${randomUUID().slice(0, 8)}@acme.example`;
      const hem = sha256(who);
      await t.services.analytics.mergeProfiles(
        a.orgId,
        [{ hem_sha256: hem, hem_md5: md5(who), hem_sha1: null, first_name: 'Eve' }],
        Date.now(),
      );
      const visitor = `v-${randomUUID().slice(0, 8)}`;
      expect((await send(ev({ event_type: 'identify', visitor_id: visitor, hem_sha256: hem }))).statusCode).toBe(200);
      expect((await send(ev({ event_type: 'purchase', hem_sha256: hem }))).statusCode).toBe(200);
      const erased = await data(`/api/v1/identities?email=${encodeURIComponent(who.toUpperCase())}`, 'DELETE');
      expect([erased.statusCode, json(erased)]).toEqual([
        200,
        { hem_sha256: hem, erased: { profiles: 1, links: 1, events: 2, audience_rows: 0 } },
      ]);
      expect((await data(`/api/v1/lookup?hem=${hem}`)).statusCode).toBe(404);
      expect((await data(`/api/v1/identities/${hem}`)).statusCode).toBe(404);
      expect(await events(`filter=hem_sha256:eq:${hem}`)).toEqual([]);
      expect(
        await t.services.analytics.queryEvents({
          organizationId: a.orgId,
          pixelIds: [pixelId],
          startMs: 0,
          endMs: Date.now() + 60_000,
          limit: 1000,
          raw: true,
          filter: [[{ field: 'hem_sha256', op: 'eq', value: hem }]],
        }),
      ).toEqual([]);
      expect((await data(`/api/v1/identities/${hem}`, 'DELETE')).statusCode).toBe(404);
      expect((await data('/api/v1/identities', 'DELETE')).statusCode).toBe(400);
    });
  });
});
