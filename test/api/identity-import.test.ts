// Identity import end to end: CSV and NDJSON uploads on the data API and the dashboard, the 202 and
// the status that follows it, bad rows reported with their line while good rows land, re-import
// changing nothing, an unknown column refused before anything is stored, limits, and another
// organization's import being not found. Checks what was stored through the analytics store itself
// (getProfiles, linksOfVisitors). Runs on DuckDB, and on ClickHouse too when CLICKHOUSE_URL is set.
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hemsOf } from '../../src/identity/hem.js';
import { STALE_MS } from '../../src/identity-import/service.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { analyticsBackends } from '../support/backends.js';
import { addMember, createKey, dash, json, newTenant, type Tenant } from '../support/tenant.js';

const backends = analyticsBackends('identity-import');

interface ImportBody {
  import_id: string;
  status: string;
  format: string;
  rows_read: number;
  rows_imported: number;
  rows_rejected: number;
  errors: { line: number; reason: string }[];
  bytes_total: number;
  bytes_read: number;
  created_at: string;
  finished_at: string | null;
  failure: string | null;
}

const MAX_BYTES = 2 * 1024 * 1024;

describe.each(backends)('on %s', (_name, env, cleanup) => {
  let t: TestApp;
  let a: Tenant;
  let b: Tenant;
  let keyA: Record<string, string>;
  let keyB: Record<string, string>;

  const asKey = (k: { apiKey: string; apiSecret: string }) => ({ 'x-api-key': k.apiKey, 'x-api-secret': k.apiSecret });
  const upload = (payload: string | Buffer | Readable, type = 'text/csv', headers = keyA) =>
    t.app.inject({ method: 'POST', url: '/api/v1/identities/import', headers: { ...headers, 'content-type': type }, payload });
  const status = async (id: string, headers = keyA): Promise<ImportBody> => {
    const res = await t.app.inject({ url: `/api/v1/identities/imports/${id}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    return json<ImportBody>(res);
  };
  /** Uploads, expects the 202, waits for the background work, and returns the final status. */
  const imported = async (payload: string, type = 'text/csv', headers = keyA): Promise<ImportBody> => {
    const res = await upload(payload, type, headers);
    expect(res.statusCode, res.body).toBe(202);
    const accepted = json<{ import_id: string; status: string }>(res);
    expect(accepted).toEqual({ import_id: expect.any(String), status: 'processing' });
    await t.services.identityImports.idle();
    return status(accepted.import_id, headers);
  };
  const profiles = (org: string, emails: string[]) =>
    t.services.analytics.getProfiles(
      org,
      emails.map((e) => hemsOf(e).hem_sha256),
    );
  const unique = (label: string) => `${label}-${randomUUID().slice(0, 8)}@acme.example`;

  beforeAll(async () => {
    t = await makeTestApp({ ...env, IMPORT_MAX_BYTES: String(MAX_BYTES), RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
    a = await newTenant(t);
    b = await newTenant(t);
    keyA = asKey(await createKey(t, a));
    keyB = asKey(await createKey(t, b));
  });
  afterAll(async () => {
    await t?.close();
    await cleanup?.();
  });

  describe('CSV', () => {
    const ann = unique('ann');
    const bo = unique('bo');
    const visitor = `v-${randomUUID()}`;
    const csv = [
      'email,first_name,last_name,company_name,company_employee_count,seniority_level,gender,visitor_id',
      `${ann},Ann,Archer,"Acme, Inc.",250,VP,female,${visitor}`,
      'not-an-email,Nope,Nobody,X,1,staff,male,',
      `${unique('robot')},Rob,Ot,X,1,staff,robot,`,
      `${unique('many')},Ma,Ny,X,many,staff,male,`,
      `${unique('short')},Short,Row`,
      `${bo},Bo,"Line one`,
      `line two",Bo Corp,,,,`,
      '',
    ].join('\n');

    let first: ImportBody;

    it('answers 202 at once, then reports every row: the good ones stored, the bad ones with their line and reason', async () => {
      first = await imported(csv);
      expect(first).toMatchObject({
        status: 'completed',
        format: 'csv',
        rows_read: 6,
        rows_imported: 2,
        rows_rejected: 4,
        failure: null,
        bytes_total: Buffer.byteLength(csv),
        bytes_read: Buffer.byteLength(csv),
      });
      expect(first.errors).toEqual([
        { line: 3, reason: 'email "not-an-email" is not a valid email address' },
        { line: 4, reason: 'gender: "robot" is not one of female, male, other' },
        { line: 5, reason: 'company_employee_count must be a whole number of 0 or more, got "many"' },
        { line: 6, reason: 'expected 8 columns, found 3' },
      ]);
      expect(Date.parse(first.created_at)).toBeLessThanOrEqual(Date.parse(first.finished_at ?? ''));

      const stored = await profiles(a.orgId, [ann, bo]);
      expect(stored).toHaveLength(2);
      expect(stored.find((p) => p.first_name === 'Ann')).toMatchObject({
        ...hemsOf(ann),
        last_name: 'Archer',
        company_name: 'Acme, Inc.',
        company_employee_count: 250,
        seniority_level: 'vp',
        gender: 'female',
        job_title: null,
      });
      expect(stored.find((p) => p.first_name === 'Bo')).toMatchObject({ last_name: 'Line one\nline two', company_name: 'Bo Corp' });
      const [link] = await t.services.analytics.linksOfVisitors(a.orgId, [visitor]);
      expect(link).toMatchObject({ visitor_id: visitor, hem_sha256: hemsOf(ann).hem_sha256, source: 'import' });
      // Lookup answers from the imported profile.
      const lookup = await t.app.inject({ url: `/api/v1/lookup?email=${encodeURIComponent(ann)}`, headers: keyA });
      expect(json(lookup)).toMatchObject({ first_name: 'Ann', company_name: 'Acme, Inc.', hem_md5: hemsOf(ann).hem_md5 });
    });

    it('importing the same file again changes nothing: same profiles, same links and seen times', async () => {
      const before = await profiles(a.orgId, [ann, bo]);
      const linksBefore = await t.services.analytics.linksOfPerson(a.orgId, hemsOf(ann).hem_sha256);
      const again = await imported(csv);
      expect(again.import_id).not.toBe(first.import_id);
      expect(again).toMatchObject({ status: 'completed', rows_read: 6, rows_imported: 2, rows_rejected: 4, errors: first.errors });
      const sort = (ps: typeof before) => [...ps].sort((x, y) => x.hem_sha256.localeCompare(y.hem_sha256));
      expect(sort(await profiles(a.orgId, [ann, bo]))).toEqual(sort(before));
      expect(await t.services.analytics.linksOfPerson(a.orgId, hemsOf(ann).hem_sha256)).toEqual(linksBefore);
    });

    it('a later non-empty value wins and an empty cell never erases', async () => {
      await imported(['email,first_name,job_title,company_name', `${ann},,CTO,`].join('\r\n'));
      const [p] = await profiles(a.orgId, [ann]);
      expect(p).toMatchObject({ first_name: 'Ann', job_title: 'CTO', company_name: 'Acme, Inc.', company_employee_count: 250 });
    });

    it('rows identified by HEMs alone land under those HEMs', async () => {
      const h = hemsOf(unique('hashed'));
      const res = await imported(['hem_sha256,hem_md5,company_name', `${h.hem_sha256},${h.hem_md5},Hashed Co`].join('\n'));
      expect(res).toMatchObject({ rows_imported: 1, rows_rejected: 0 });
      const [p] = await t.services.analytics.getProfiles(a.orgId, [h.hem_md5], 'md5');
      expect(p).toMatchObject({ hem_sha256: h.hem_sha256, hem_sha1: null, company_name: 'Hashed Co' });
    });

    it('several batches: 25,000 rows, all stored', async () => {
      const emails = Array.from({ length: 25_000 }, (_, i) => `bulk-${i}-${randomUUID().slice(0, 6)}@bulk.example`);
      const body = ['email,first_name,company_employee_count', ...emails.map((e, i) => `${e},Bulk ${i},${i}`)].join('\n');
      const res = await imported(body);
      expect(res).toMatchObject({ status: 'completed', rows_read: 25_000, rows_imported: 25_000, rows_rejected: 0 });
      const sample = await profiles(a.orgId, [emails[0] as string, emails[12_345] as string, emails[24_999] as string]);
      expect(sample.map((p) => p.company_employee_count).sort((x, y) => Number(x) - Number(y))).toEqual([0, 12_345, 24_999]);
    }, 120_000);
  });

  describe('NDJSON', () => {
    it('imports objects line by line; a bad line is reported with its line and skipped', async () => {
      const cy = unique('cy');
      const dee = unique('dee');
      const h = hemsOf(unique('ndjson-hashed'));
      const lines = [
        JSON.stringify({ email: cy, first_name: 'Cy', company_revenue: 5_000_000, is_email_business: true, visitor_id: 'nd-v1' }),
        '{"email": "broken json",',
        '',
        '["a list"]',
        JSON.stringify({ email: dee, shoe_size: 44 }),
        JSON.stringify({ email: dee, first_name: 7 }),
        JSON.stringify({ hem_sha256: h.hem_sha256, hem_md5: h.hem_md5, homeowner: 'True', age_range: '35-44' }),
        JSON.stringify({ email: dee, department: 'Sales' }),
      ].join('\n');
      const res = await imported(lines, 'application/x-ndjson');
      expect(res).toMatchObject({ status: 'completed', format: 'ndjson', rows_read: 7, rows_imported: 3, rows_rejected: 4 });
      expect(res.errors).toEqual([
        { line: 2, reason: 'the line is not valid JSON' },
        { line: 4, reason: 'each line must be a JSON object' },
        { line: 5, reason: expect.stringMatching(/^unknown column "shoe_size"/) },
        { line: 6, reason: 'first_name must be text, got number' },
      ]);
      const [c] = await profiles(a.orgId, [cy]);
      expect(c).toMatchObject({ first_name: 'Cy', company_revenue: 5_000_000, is_email_business: 'true' });
      expect((await profiles(a.orgId, [dee]))[0]).toMatchObject({ department: 'sales', first_name: null });
      expect((await t.services.analytics.getProfiles(a.orgId, [h.hem_sha256]))[0]).toMatchObject({ homeowner: 'true', age_range: '35-44' });
      expect((await t.services.analytics.linksOfVisitors(a.orgId, ['nd-v1']))[0]).toMatchObject({ source: 'import' });
    });

    it('accepts application/ndjson too and a streamed body without Content-Length', async () => {
      const e = unique('streamed');
      const res = await upload(Readable.from([`{"email":"${e}",`, '"first_name":"Streamed"}\n']), 'application/ndjson');
      expect(res.statusCode, res.body).toBe(202);
      await t.services.identityImports.idle();
      expect((await profiles(a.orgId, [e]))[0]).toMatchObject({ first_name: 'Streamed' });
    });
  });

  describe('refusals before anything is stored', () => {
    it('an unknown column is a 400 naming it; no profile, no import record, no spool file', async () => {
      const e = unique('never');
      const listBefore = await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/identities/imports`, headers: dash(a.session) });
      for (const [payload, type] of [
        [`email,first_name,favourite_colour\n${e},Nev,blue\n`, 'text/csv'],
        [`${JSON.stringify({ email: e, favourite_colour: 'blue' })}\n`, 'application/x-ndjson'],
      ] as const) {
        const res = await upload(payload, type);
        expect(res.statusCode, res.body).toBe(400);
        expect(json(res)).toEqual({
          error: 'The first line of the import does not name valid columns.',
          code: 'import_header_invalid',
          details: expect.stringMatching(/^unknown column "favourite_colour"/),
        });
      }
      await t.services.identityImports.idle();
      expect(await profiles(a.orgId, [e])).toEqual([]);
      const listAfter = await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/identities/imports`, headers: dash(a.session) });
      expect(json(listAfter)).toEqual(json(listBefore));
      expect(readdirSync(join(t.dataDir, 'imports'))).toEqual([]);
    });

    it.each([
      ['a header without an identifier', 'first_name,last_name\nAnn,Archer\n', 'text/csv', 400, 'import_header_invalid'],
      ['a column named twice', 'email,email\na@b.example,a@b.example\n', 'text/csv', 400, 'import_header_invalid'],
      ['an empty body', '', 'text/csv', 400, 'import_empty'],
      ['a CSV sent as NDJSON', 'email,first_name\n', 'application/x-ndjson', 400, 'import_header_invalid'],
      ['JSON', '{"email":"a@b.example"}', 'application/json', 415, 'unsupported_media_type'],
      ['plain text', 'email\na@b.example\n', 'text/plain', 415, 'unsupported_media_type'],
      ['a body over IMPORT_MAX_BYTES', `email\n${'x@y.example\n'.repeat(MAX_BYTES / 10)}`, 'text/csv', 413, 'import_too_large'],
    ])('%s', async (_label, payload, type, statusCode, code) => {
      const res = await upload(payload, type);
      expect(res.statusCode, res.body).toBe(statusCode);
      expect(json(res).code).toBe(code);
    });

    it('a streamed body (no Content-Length) over IMPORT_MAX_BYTES is cut off with 413 and leaves nothing', async () => {
      const e = unique('huge');
      async function* huge() {
        yield `email,first_name\n${e},Huge\n`;
        for (let i = 0; i < 2500; i++) yield `${'z'.repeat(1000)}@x.example,Z\n`;
      }
      const res = await upload(Readable.from(huge()));
      expect(res.statusCode, res.body).toBe(413);
      expect(json(res)).toMatchObject({ code: 'import_too_large', details: `IMPORT_MAX_BYTES is ${MAX_BYTES} bytes` });
      await t.services.identityImports.idle();
      expect(await profiles(a.orgId, [e])).toEqual([]);
      expect(readdirSync(join(t.dataDir, 'imports'))).toEqual([]);
    });

    it('a key of one organization naming another with x-organization-id is refused (404)', async () => {
      const res = await upload(`email\n${unique('x')}\n`, 'text/csv', { ...keyA, 'x-organization-id': b.orgId });
      expect(res.statusCode, res.body).toBe(404);
      expect(json(res).code).toBe('organization_not_found');
    });
  });

  describe('status and tenants', () => {
    it("another organization's import id is not found, on the data API and the dashboard", async () => {
      const mine = await imported(`email,first_name\n${unique('mine')},Mine\n`);
      const theirs = await t.app.inject({ url: `/api/v1/identities/imports/${mine.import_id}`, headers: keyB });
      expect(theirs.statusCode).toBe(404);
      expect(json(theirs)).toEqual({ error: 'Import not found.', code: 'import_not_found' });
      const viaDash = await t.app.inject({
        url: `/dashboard/api/orgs/${b.orgId}/identities/imports/${mine.import_id}`,
        headers: dash(b.session),
      });
      expect(viaDash.statusCode).toBe(404);
      const othersOrg = await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/identities/imports`, headers: dash(b.session) });
      expect(othersOrg.statusCode).toBe(404);
      const list = await t.app.inject({ url: `/dashboard/api/orgs/${b.orgId}/identities/imports`, headers: dash(b.session) });
      expect(json<{ imports: ImportBody[] }>(list).imports.map((i) => i.import_id)).not.toContain(mine.import_id);
      const unknown = await t.app.inject({ url: `/api/v1/identities/imports/${randomUUID()}`, headers: keyA });
      expect(unknown.statusCode).toBe(404);
    });

    it('the dashboard uploads (owners and admins), lists newest first and shows one import; members read but may not upload', async () => {
      const e = unique('dash');
      const post = (who: Tenant, payload: string) =>
        t.app.inject({
          method: 'POST',
          url: `/dashboard/api/orgs/${a.orgId}/identities/import`,
          headers: { ...dash(who.session), 'content-type': 'text/csv' },
          payload,
        });
      const up = await post(a, `email,job_title\n${e},Dashboard Importer\n`);
      expect(up.statusCode, up.body).toBe(202);
      const { import_id } = json<{ import_id: string }>(up);
      await t.services.identityImports.idle();
      const one = await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/identities/imports/${import_id}`, headers: dash(a.session) });
      expect(json(one)).toMatchObject({ import_id, status: 'completed', rows_imported: 1 });
      const list = json<{ imports: ImportBody[] }>(
        await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/identities/imports`, headers: dash(a.session) }),
      ).imports;
      expect(list[0]?.import_id).toBe(import_id);
      const created = list.map((i) => Date.parse(i.created_at));
      expect(created).toEqual([...created].sort((x, y) => y - x));
      expect((await profiles(a.orgId, [e]))[0]).toMatchObject({ job_title: 'Dashboard Importer' });

      const member = await addMember(t, a, 'member');
      const refused = await post(member, `email\n${unique('member')}\n`);
      expect(refused.statusCode).toBe(403);
      expect(json(refused).code).toBe('forbidden');
      const read = await t.app.inject({ url: `/dashboard/api/orgs/${a.orgId}/identities/imports?limit=1`, headers: dash(member.session) });
      expect(json<{ imports: ImportBody[] }>(read).imports).toHaveLength(1);
      const admin = await addMember(t, a, 'admin');
      expect((await post(admin, `email\n${unique('admin')}\n`)).statusCode).toBe(202);
      await t.services.identityImports.idle();
    });

    it('an import whose process stopped (no progress for STALE_MS) is reported failed, saying what to do', async () => {
      const long = Date.now() - STALE_MS - 1000;
      const id = randomUUID();
      await t.services.catalog.identityImports.create({
        id,
        organizationId: a.orgId,
        format: 'csv',
        createdBy: 'cli',
        bytesTotal: 10,
        now: long,
      });
      const s = await status(id);
      expect(s).toMatchObject({ status: 'failed', failure: expect.stringMatching(/stopped before it finished; import the file again/) });
      expect(s.finished_at).not.toBeNull();
    });

    it('stopping the service mid-import ends the import as failed, never left processing', async () => {
      const own = await makeTestApp({ ...env });
      try {
        const tenant = await newTenant(own);
        const k = asKey(await createKey(own, tenant));
        const body = ['email,first_name', ...Array.from({ length: 40_000 }, (_, i) => `stop-${i}@stop.example,S${i}`)].join('\n');
        const res = await own.app.inject({
          method: 'POST',
          url: '/api/v1/identities/import',
          headers: { ...k, 'content-type': 'text/csv' },
          payload: body,
        });
        expect(res.statusCode, res.body).toBe(202);
        await own.services.identityImports.close();
        const s = await own.services.catalog.identityImports.get(tenant.orgId, json<{ import_id: string }>(res).import_id);
        expect(s?.status).toBe('failed');
        expect(s?.failure).toMatch(/^the server stopped before the import finished/);
        expect(s?.rows_imported).toBeLessThan(40_000);
      } finally {
        await own.close();
      }
    }, 60_000);
  });
});
