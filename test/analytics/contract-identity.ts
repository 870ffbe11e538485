// Analytics contract, identity writes: the merge rules that imports rely on, run on every engine by
// test/analytics/contract.ts. A later non-empty value wins and an empty one never erases, a repeated
// batch changes nothing, a person repeated inside one batch merges in order, numbers stay numbers
// past 2^32, and visitor links widen, move or stay as their seen times say.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AnalyticsStore } from '../../src/analytics/types.js';
import type { NewLink, ProfilePatch } from '../../src/identity/types.js';

const T0 = Date.UTC(2026, 0, 15);

const hems = (email: string) => ({
  hem_sha256: createHash('sha256').update(email).digest('hex'),
  hem_md5: createHash('md5').update(email).digest('hex'),
  hem_sha1: createHash('sha1').update(email).digest('hex'),
});

export function identityWritesContract(s: AnalyticsStore): void {
  const org = () => `org-${randomUUID()}`;
  const person = (label: string) => hems(`${label}-${randomUUID()}@contract.example`);
  const byHem = async (o: string, ...ps: { hem_sha256: string }[]) => {
    const found = await s.getProfiles(
      o,
      ps.map((p) => p.hem_sha256),
    );
    return ps.map((p) => found.find((f) => f.hem_sha256 === p.hem_sha256));
  };

  describe('identity: profile merges and visitor links', () => {
    it('stores new profiles with every field, numbers as numbers, findable by each HEM, only in their organization', async () => {
      const o = org();
      const ann = person('ann');
      const bo = person('bo');
      await s.mergeProfiles(
        o,
        [
          { ...ann, first_name: 'Ann', company_revenue: 5_000_000_000, company_employee_count: 12, gender: 'female' },
          { ...bo, hem_sha1: null, first_name: 'Bo' },
        ],
        T0,
      );
      const [a, b] = await byHem(o, ann, bo);
      expect(a).toMatchObject({ ...ann, first_name: 'Ann', last_name: null, company_revenue: 5_000_000_000, company_employee_count: 12 });
      expect(b).toMatchObject({ ...bo, hem_sha1: null, first_name: 'Bo', company_revenue: null });
      expect((await s.getProfiles(o, [ann.hem_md5], 'md5'))[0]?.hem_sha256).toBe(ann.hem_sha256);
      expect((await s.getProfiles(o, [ann.hem_sha1], 'sha1'))[0]?.hem_sha256).toBe(ann.hem_sha256);
      expect(await s.getProfiles(org(), [ann.hem_sha256])).toEqual([]);
    });

    it('a later non-empty value wins; null, absent and empty values never erase', async () => {
      const o = org();
      const cy = person('cy');
      await s.mergeProfiles(o, [{ ...cy, first_name: 'Cy', job_title: 'CTO', company_name: 'Acme' }], T0);
      await s.mergeProfiles(o, [{ ...cy, hem_sha1: null, first_name: 'Cyrus', job_title: null, company_name: '' }], T0 + 1);
      const [p] = await byHem(o, cy);
      expect(p).toMatchObject({ hem_sha1: cy.hem_sha1, first_name: 'Cyrus', job_title: 'CTO', company_name: 'Acme' });
    });

    it('a HEM learned later is stored and found: a SHA-1 added to a profile that had none', async () => {
      const o = org();
      const eve = person('eve');
      await s.mergeProfiles(o, [{ ...eve, hem_sha1: null, first_name: 'Eve' }], T0);
      expect(await s.getProfiles(o, [eve.hem_sha1], 'sha1')).toEqual([]);
      await s.mergeProfiles(o, [{ ...eve, company_name: 'Evil Corp' }], T0 + 1);
      const [p] = await s.getProfiles(o, [eve.hem_sha1], 'sha1');
      expect(p).toMatchObject({ hem_sha256: eve.hem_sha256, hem_sha1: eve.hem_sha1, first_name: 'Eve', company_name: 'Evil Corp' });
      expect((await s.getProfiles(o, [eve.hem_md5], 'md5')).map((x) => x.hem_sha256)).toEqual([eve.hem_sha256]);
    });

    it('merging the same batch again changes nothing', async () => {
      const o = org();
      const people = Array.from({ length: 50 }, (_, i) => ({ ...person(`p${i}`), first_name: `P${i}`, company_employee_count: i }));
      await s.mergeProfiles(o, people, T0);
      const before = await s.getProfiles(
        o,
        people.map((p) => p.hem_sha256),
      );
      await s.mergeProfiles(o, people, T0 + 1000);
      const after = await s.getProfiles(
        o,
        people.map((p) => p.hem_sha256),
      );
      const sorted = (xs: typeof before) => [...xs].sort((x, y) => x.hem_sha256.localeCompare(y.hem_sha256));
      expect(sorted(after)).toEqual(sorted(before));
      expect(after).toHaveLength(50);
    });

    it('a person repeated within one batch merges in order: later non-empty wins, earlier values stay', async () => {
      const o = org();
      const dee = person('dee');
      const batch: ProfilePatch[] = [
        { ...dee, hem_sha1: null, first_name: 'D', job_title: 'Analyst' },
        { ...dee, first_name: 'Dee', job_title: null, department: 'sales' },
        { ...dee, hem_sha1: null, last_name: 'Doe' },
      ];
      await s.mergeProfiles(o, batch, T0);
      const [p] = await byHem(o, dee);
      expect(p).toMatchObject({ hem_sha1: dee.hem_sha1, first_name: 'Dee', job_title: 'Analyst', department: 'sales', last_name: 'Doe' });
    });

    it('takes a batch of several thousand people in one call', async () => {
      const o = org();
      const many = Array.from({ length: 5000 }, (_, i) => ({ ...person(`m${i}`), company_employee_count: i }));
      await s.mergeProfiles(o, many, T0);
      const sample = await byHem(o, many[0] as ProfilePatch, many[2500] as ProfilePatch, many[4999] as ProfilePatch);
      expect(sample.map((p) => p?.company_employee_count)).toEqual([0, 2500, 4999]);
    });

    it('links visitors: the same person widens the seen range, a later other person moves it, an earlier one does not', async () => {
      const o = org();
      const [ann, bo] = [person('ann'), person('bo')];
      const link = (visitor_id: string, who: { hem_sha256: string }, at: number, source: NewLink['source'] = 'import'): NewLink => ({
        visitor_id,
        hem_sha256: who.hem_sha256,
        source,
        at,
      });
      await s.linkVisitors(o, [link('v1', ann, T0 + 100), link('v2', ann, T0 + 100), link('v3', ann, T0)]);
      await s.linkVisitors(o, [
        link('v1', ann, T0 + 50, 'form'),
        link('v1', ann, T0 + 200, 'form'),
        link('v2', bo, T0 + 300, 'identify'),
        link('v3', bo, T0 - 10, 'sync'),
      ]);
      const links = new Map((await s.linksOfVisitors(o, ['v1', 'v2', 'v3'])).map((l) => [l.visitor_id, l]));
      expect(links.get('v1')).toEqual({
        visitor_id: 'v1',
        hem_sha256: ann.hem_sha256,
        source: 'import',
        first_seen: T0 + 50,
        last_seen: T0 + 200,
      });
      expect(links.get('v2')).toEqual({
        visitor_id: 'v2',
        hem_sha256: bo.hem_sha256,
        source: 'identify',
        first_seen: T0 + 300,
        last_seen: T0 + 300,
      });
      expect(links.get('v3')).toEqual({ visitor_id: 'v3', hem_sha256: ann.hem_sha256, source: 'import', first_seen: T0, last_seen: T0 });
      // Within one batch, the latest signal for a visitor is the one that counts.
      await s.linkVisitors(o, [link('v4', ann, T0 + 1), link('v4', bo, T0 + 2)]);
      expect((await s.linksOfVisitors(o, ['v4']))[0]?.hem_sha256).toBe(bo.hem_sha256);
      expect((await s.linksOfPerson(o, ann.hem_sha256)).map((l) => l.visitor_id).sort()).toEqual(['v1', 'v3']);
      expect(await s.linksOfVisitors(org(), ['v1'])).toEqual([]);
    });
  });
}
