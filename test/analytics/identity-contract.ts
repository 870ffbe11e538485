// The identity half of the analytics contract, run by contract.ts on every engine: profiles merge
// the same way (a later non-empty value wins, an empty one never erases, writing again changes
// nothing), visitor links follow one person per visitor, and events are resolved through the links
// at query time on both the lookup plan (plain pages) and the join plan (identity filters), also
// retroactively, undone by unlinking, and erased with the person.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/analytics/filter.js';
import type { AnalyticsStore, EventQuery, EventRecord, FieldName, Filter } from '../../src/analytics/types.js';
import type { ProfilePatch } from '../../src/identity/types.js';
import { row, tenant } from './contract.js';

const T0 = Date.UTC(2026, 0, 15, 0, 0, 0);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const person = (email: string, fields: Record<string, string | number | null> = {}): ProfilePatch => ({
  hem_sha256: sha256(email),
  hem_md5: md5(email),
  hem_sha1: null,
  ...fields,
});
const must = (f: string): Filter => {
  const r = parseFilter(f);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

export function identityContract(s: AnalyticsStore): void {
  describe('identity: profiles', () => {
    it('merges: later non-empty values win, empty and missing ones keep what is stored', async () => {
      const org = randomUUID();
      const ann = person('ann@acme.example');
      await s.mergeProfiles(org, [{ ...ann, first_name: 'Ann', company_name: 'Acme', company_employee_count: 250 }], T0);
      await s.mergeProfiles(org, [{ ...ann, first_name: '', company_name: 'Acme Inc', job_title: null }], T0 + 1);
      const [got] = await s.getProfiles(org, [ann.hem_sha256]);
      expect(got).toMatchObject({
        hem_sha256: ann.hem_sha256,
        hem_md5: ann.hem_md5,
        first_name: 'Ann',
        company_name: 'Acme Inc',
        company_employee_count: 250,
      });
      expect(got?.job_title).toBeNull();
      // Within one batch too, in order.
      await s.mergeProfiles(
        org,
        [
          { ...ann, job_title: 'CTO' },
          { ...ann, job_title: 'CEO' },
          { ...ann, job_title: '' },
        ],
        T0 + 2,
      );
      expect((await s.getProfiles(org, [ann.hem_sha256]))[0]?.job_title).toBe('CEO');
    });

    it('writing the same rows again changes nothing, and finds by SHA-256 and MD5 alike', async () => {
      const org = randomUUID();
      const rows = [person('a@x.example', { first_name: 'A' }), person('b@x.example', { last_name: 'B', company_revenue: 5_000_000_000 })];
      await s.mergeProfiles(org, rows, T0);
      const first = await s.getProfiles(
        org,
        rows.map((r) => r.hem_sha256),
      );
      await s.mergeProfiles(org, rows, T0 + 5000);
      const again = await s.getProfiles(
        org,
        rows.map((r) => r.hem_sha256),
      );
      const byHem = (list: typeof first) => [...list].sort((x, y) => x.hem_sha256.localeCompare(y.hem_sha256));
      expect(byHem(again)).toEqual(byHem(first));
      expect(await s.getProfiles(org, [rows[1]?.hem_md5 as string], 'md5')).toEqual([first.find((p) => p.hem_md5 === rows[1]?.hem_md5)]);
      // Another organization sees none of them.
      expect(
        await s.getProfiles(
          randomUUID(),
          rows.map((r) => r.hem_sha256),
        ),
      ).toEqual([]);
    });
  });

  describe('identity: visitor links', () => {
    it('one person per visitor: the seen range widens, a later signal for another person moves the visitor', async () => {
      const org = randomUUID();
      const ann = sha256('ann@x.example');
      const bob = sha256('bob@x.example');
      await s.linkVisitors(org, [{ visitor_id: 'v1', hem_sha256: ann, source: 'form', at: T0 + 10 }]);
      await s.linkVisitors(org, [{ visitor_id: 'v1', hem_sha256: ann, source: 'identify', at: T0 }]);
      expect(await s.linksOfVisitors(org, ['v1'])).toEqual([
        { visitor_id: 'v1', hem_sha256: ann, source: 'form', first_seen: T0, last_seen: T0 + 10 },
      ]);
      // An older signal for another person does not move it; a newer one does.
      await s.linkVisitors(org, [{ visitor_id: 'v1', hem_sha256: bob, source: 'sync', at: T0 + 5 }]);
      expect((await s.linksOfVisitors(org, ['v1']))[0]?.hem_sha256).toBe(ann);
      await s.linkVisitors(org, [{ visitor_id: 'v1', hem_sha256: bob, source: 'identify', at: T0 + 20 }]);
      expect(await s.linksOfPerson(org, ann)).toEqual([]);
      expect(await s.linksOfPerson(org, bob)).toEqual([
        { visitor_id: 'v1', hem_sha256: bob, source: 'identify', first_seen: T0 + 20, last_seen: T0 + 20 },
      ]);
    });

    it('unlinks one visitor, once, only its own link', async () => {
      const org = randomUUID();
      const ann = sha256('ann@y.example');
      await s.linkVisitors(org, [
        { visitor_id: 'v1', hem_sha256: ann, source: 'import', at: T0 },
        { visitor_id: 'v2', hem_sha256: ann, source: 'form', at: T0 + 1 },
      ]);
      expect(await s.unlink(org, ann, 'v1')).toBe(true);
      expect(await s.unlink(org, ann, 'v1')).toBe(false);
      expect(await s.unlink(org, sha256('other@y.example'), 'v2')).toBe(false);
      expect(await s.unlink(randomUUID(), ann, 'v2')).toBe(false);
      expect((await s.linksOfPerson(org, ann)).map((l) => l.visitor_id)).toEqual(['v2']);
    });

    it('lists identified people, most recently seen first, with their profiles', async () => {
      const org = randomUUID();
      const ann = person('ann@z.example', { first_name: 'Ann' });
      const bob = sha256('bob@z.example');
      await s.mergeProfiles(org, [ann], T0);
      await s.linkVisitors(org, [
        { visitor_id: 'v1', hem_sha256: ann.hem_sha256, source: 'form', at: T0 },
        { visitor_id: 'v2', hem_sha256: ann.hem_sha256, source: 'form', at: T0 + 1 },
        { visitor_id: 'v3', hem_sha256: bob, source: 'identify', at: T0 + 9 },
      ]);
      const { people, total } = await s.listPeople(org, { limit: 10, offset: 0 });
      expect(total).toBe(2);
      expect(people.map((p) => [p.hem_sha256, p.visitors, p.last_seen, p.profile?.first_name ?? null])).toEqual([
        [bob, 1, T0 + 9, null],
        [ann.hem_sha256, 2, T0 + 1, 'Ann'],
      ]);
      expect((await s.listPeople(org, { limit: 1, offset: 1 })).people.map((p) => p.hem_sha256)).toEqual([ann.hem_sha256]);
    });
  });

  describe('identity: resolution at query time', () => {
    async function world() {
      const t = tenant();
      const ann = person('ann@resolve.example', { first_name: 'Ann', company_name: 'Acme', company_employee_count: 300 });
      await s.mergeProfiles(t.org, [ann], T0);
      await s.appendEvents([
        row(t, 0, { visitor_id: 'v-ann', hem_sha256: null }),
        row(t, 1, { visitor_id: 'v-ann', hem_sha256: null, event_type: 'click' }),
        row(t, 2, { visitor_id: 'v-ann', hem_sha256: ann.hem_sha256, event_type: 'form_submission' }),
        row(t, 3, { visitor_id: 'v-other', hem_sha256: null }),
        // A server-side send without a visitor: resolved by its own HEM.
        row(t, 4, { visitor_id: null, hem_sha256: ann.hem_sha256, event_type: 'purchase' }),
      ]);
      const q: EventQuery = { organizationId: t.org, pixelIds: [t.pixel], startMs: T0, endMs: T0 + 86_400_000 };
      const page = async (over: Partial<EventQuery> = {}) =>
        (
          await s.queryEvents({
            ...q,
            limit: 100,
            select: ['event_id', 'visitor_id', 'resolved', 'hem_sha256', 'first_name', 'company_name'],
            ...over,
          })
        ).map((r) => [
          Number(String(r.event_id).split('-').pop()),
          r.resolved,
          r.hem_sha256 === ann.hem_sha256,
          r.first_name ?? null,
          r.company_name ?? null,
        ]);
      return { t, ann, q, page };
    }

    it('before any link: only the event without a visitor id and with a HEM is resolved', async () => {
      const { page } = await world();
      expect(await page()).toEqual([
        [0, false, false, null, null],
        [1, false, false, null, null],
        [2, false, false, null, null],
        [3, false, false, null, null],
        [4, true, true, 'Ann', 'Acme'],
      ]);
    });

    it('a link resolves every event of the visitor, earlier ones too; unlinking unresolves them', async () => {
      const { t, ann, page } = await world();
      await s.linkVisitors(t.org, [{ visitor_id: 'v-ann', hem_sha256: ann.hem_sha256, source: 'form', at: T0 + 2000 }]);
      const linked = [
        [0, true, true, 'Ann', 'Acme'],
        [1, true, true, 'Ann', 'Acme'],
        [2, true, true, 'Ann', 'Acme'],
        [3, false, false, null, null],
        [4, true, true, 'Ann', 'Acme'],
      ];
      expect(await page()).toEqual(linked);
      // The same through the join plan (identity filters) and in counts.
      expect(await page({ filter: must('first_name:ne:null') })).toEqual(linked.filter((r) => r[1]));
      expect(await page({ filter: must('resolved:eq:false') })).toEqual([[3, false, false, null, null]]);
      expect(await page({ filter: must('company_employee_count:gt:200,event_type:eq:click') })).toEqual([[1, true, true, 'Ann', 'Acme']]);
      expect(
        await s.countEvents({ ...(await world()).q, organizationId: t.org, pixelIds: [t.pixel], filter: must('resolved:eq:true') }),
      ).toBe(4);
      expect(
        await s.countEvents({ organizationId: t.org, pixelIds: [t.pixel], startMs: T0, endMs: T0 + 86_400_000, distinct: ['first_name'] }),
      ).toBe(2);

      expect(await s.unlink(t.org, ann.hem_sha256, 'v-ann')).toBe(true);
      expect(await page()).toEqual([
        [0, false, false, null, null],
        [1, false, false, null, null],
        [2, false, false, null, null],
        [3, false, false, null, null],
        [4, true, true, 'Ann', 'Acme'],
      ]);
      expect(await page({ filter: must('first_name:eq:Ann') })).toEqual([[4, true, true, 'Ann', 'Acme']]);
    });

    it("a page resolves through its own organization's links and profiles only, and each person's own profile", async () => {
      const t = tenant();
      const other = tenant();
      const ann = person('ann@own.example', { first_name: 'Ann', company_name: 'Acme' });
      const bob = person('bob@own.example', { first_name: 'Bob' });
      // A person whose HEM shares its first 16 hex digits (DuckDB's lookup key) with Ann's.
      const twin = { ...person('twin@own.example', { first_name: 'Twin' }), hem_sha256: `${ann.hem_sha256.slice(0, 16)}${'0'.repeat(48)}` };
      const noProfile = sha256('nobody@own.example');
      // A HEM that is not lowercase hex has no lookup key on DuckDB, and is found by its text.
      const odd = { ...person('odd@own.example', { first_name: 'Odd' }), hem_sha256: `ODD-${sha256('odd').slice(0, 20)}` };
      await s.mergeProfiles(t.org, [ann, twin, odd], T0);
      // The other organization knows Ann under another name, and links the same visitor ids elsewhere.
      await s.mergeProfiles(other.org, [{ ...ann, first_name: 'Other Ann' }, bob], T0);
      await s.linkVisitors(t.org, [
        { visitor_id: 'v-ann', hem_sha256: ann.hem_sha256, source: 'form', at: T0 },
        { visitor_id: 'v-none', hem_sha256: noProfile, source: 'form', at: T0 },
        { visitor_id: 'v-odd', hem_sha256: odd.hem_sha256, source: 'form', at: T0 },
      ]);
      await s.linkVisitors(other.org, [
        { visitor_id: 'v-ann', hem_sha256: bob.hem_sha256, source: 'form', at: T0 },
        { visitor_id: 'v-bob', hem_sha256: bob.hem_sha256, source: 'form', at: T0 },
      ]);
      await s.appendEvents([
        row(t, 0, { visitor_id: 'v-ann', hem_sha256: null }),
        row(t, 1, { visitor_id: 'v-bob', hem_sha256: bob.hem_sha256 }),
        row(t, 2, { visitor_id: 'v-none', hem_sha256: null }),
        row(t, 3, { visitor_id: null, hem_sha256: twin.hem_sha256 }),
        row(t, 4, { visitor_id: null, hem_sha256: bob.hem_sha256 }),
        row(t, 5, { visitor_id: null, hem_sha256: null }),
        row(t, 6, { visitor_id: 'v-ann', hem_sha256: null }),
        row(t, 7, { visitor_id: 'v-odd', hem_sha256: null }),
      ]);
      const day = { organizationId: t.org, pixelIds: [t.pixel], startMs: T0, endMs: T0 + 86_400_000 };
      const select: FieldName[] = ['event_id', 'resolved', 'hem_sha256', 'first_name', 'company_name'];
      const page = await s.queryEvents({ ...day, limit: 100, select });
      const name = (h: unknown) =>
        ({ [ann.hem_sha256]: 'ann', [twin.hem_sha256]: 'twin', [bob.hem_sha256]: 'bob', [noProfile]: 'nobody', [odd.hem_sha256]: 'odd' })[
          String(h)
        ] ?? h;
      const seen = (rows: EventRecord[]) =>
        rows.map((r) => [Number(String(r.event_id).split('-').pop()), r.resolved, name(r.hem_sha256), r.first_name, r.company_name]);
      const expected = [
        [0, true, 'ann', 'Ann', 'Acme'],
        [1, false, null, null, null],
        [2, true, 'nobody', null, null],
        [3, true, 'twin', 'Twin', null],
        [4, true, 'bob', null, null],
        [5, false, null, null, null],
        [6, true, 'ann', 'Ann', 'Acme'],
        [7, true, 'odd', 'Odd', null],
      ];
      expect(seen(page)).toEqual(expected);
      // Only the resolved ones (the join plan with the links alone, the page's profiles found for its
      // own rows): the same people and profiles, the twin's and the odd HEM's included.
      expect(seen(await s.queryEvents({ ...day, limit: 100, filter: must('resolved:eq:true'), select }))).toEqual(
        expected.filter((r) => r[1] === true),
      );
      // Without the HEM among the fields asked for, a profile's fields still come with the row.
      const named = await s.queryEvents({ ...day, limit: 2, filter: must('resolved:eq:true'), select: ['first_name', 'company_name'] });
      expect(named.map((r) => Object.entries(r))).toEqual([
        [
          ['first_name', 'Ann'],
          ['company_name', 'Acme'],
        ],
        [
          ['first_name', null],
          ['company_name', null],
        ],
      ]);
      // The same rows a page at a time (offsets), and the default fields.
      const paged = [];
      for (let offset = 0; offset < 8; offset += 3) paged.push(...(await s.queryEvents({ ...day, limit: 3, offset })));
      const whole = await s.queryEvents({ ...day, limit: 100 });
      expect(paged).toEqual(whole);
      expect(whole.map((r) => [r.first_name, r.resolved])).toEqual(page.map((r) => [r.first_name, r.resolved]));
    });

    it('raw queries return the stored row as it is', async () => {
      const { t, ann, q } = await world();
      await s.linkVisitors(t.org, [{ visitor_id: 'v-ann', hem_sha256: ann.hem_sha256, source: 'form', at: T0 }]);
      const raw = await s.queryEvents({ ...q, raw: true, limit: 10, select: ['event_id', 'hem_sha256'] });
      expect(raw.map((r) => r.hem_sha256 === ann.hem_sha256)).toEqual([false, false, true, false, true]);
      expect(Object.keys((await s.queryEvents({ ...q, raw: true, limit: 1 }))[0] ?? {})).not.toContain('first_name');
    });

    it('erasing a person removes the profile, the links and the HEM from every stored event', async () => {
      const { t, ann, q, page } = await world();
      await s.linkVisitors(t.org, [{ visitor_id: 'v-ann', hem_sha256: ann.hem_sha256, source: 'form', at: T0 }]);
      expect(await s.erasePerson(t.org, ann.hem_sha256)).toEqual({ profiles: 1, links: 1, events: 2, audienceRows: 0 });
      expect(await s.getProfiles(t.org, [ann.hem_sha256])).toEqual([]);
      expect(await s.linksOfPerson(t.org, ann.hem_sha256)).toEqual([]);
      expect(await page()).toEqual([
        [0, false, false, null, null],
        [1, false, false, null, null],
        [2, false, false, null, null],
        [3, false, false, null, null],
        [4, false, false, null, null],
      ]);
      const stored = await s.queryEvents({ ...q, raw: true, limit: 10, select: ['hem_sha256'] });
      expect(stored.every((r) => r.hem_sha256 === null)).toBe(true);
      expect(await s.erasePerson(t.org, ann.hem_sha256)).toEqual({ profiles: 0, links: 0, events: 0, audienceRows: 0 });
    });
  });

  describe('retention', () => {
    it('deletes the events of the given pixels older than the cut-off, and nothing else', async () => {
      const t = tenant();
      const other = tenant();
      await s.appendEvents([row(t, 0), row(t, 10), row(t, 20), row(other, 0)]);
      expect(await s.deleteEventsBefore(t.org, [t.pixel], T0 + 10_000)).toBe(1);
      expect(await s.deleteEventsBefore(t.org, [], T0 + 99_000)).toBe(0);
      expect(await s.countEvents(t.q)).toBe(2);
      expect(await s.countEvents(other.q)).toBe(1);
    });
  });
}
