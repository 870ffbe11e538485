// Catalog contract, organizations: run on every catalog backend by test/catalog/contract.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ContractContext, T0 } from './context.js';

export function organizationsContract(c: ContractContext): void {
  const { s, org, user, member } = c;

  describe('organizations', () => {
    it('round-trips a row with the same values and types', async () => {
      const o = await org(T0 + 123);
      expect(o).toMatchObject({ status: 'active', created_at: T0 + 123 });
      const got = await s.organizations.getOrganization(o.id);
      expect(got).toEqual(o);
      expect(typeof got?.created_at).toBe('number');
      expect(await s.organizations.getOrganization(randomUUID())).toBeUndefined();
    });

    it('lists every organization by creation time and counts them', async () => {
      const before = await s.organizations.countOrganizations();
      const later = await org(T0 + 2);
      const earlier = await org(T0 + 1);
      expect(await s.organizations.countOrganizations()).toBeGreaterThanOrEqual(before + 2);
      const ids = (await s.organizations.listOrganizations()).map((o) => o.id);
      expect(ids).toContain(earlier.id);
      expect(ids.indexOf(earlier.id)).toBeLessThan(ids.indexOf(later.id));
    });

    it("lists a user's organizations with their role, in the order they joined, and no others", async () => {
      const [a, b, unrelated] = [await org(), await org(), await org()];
      const u = await user();
      await s.members.addMember({ organizationId: b.id, userId: u.id, role: 'admin', now: T0 + 1 });
      await s.members.addMember({ organizationId: a.id, userId: u.id, role: 'owner', now: T0 + 2 });
      await member(unrelated);
      const orgs = await s.organizations.listOrganizationsForUser(u.id);
      expect(orgs.map((o) => [o.id, o.role])).toEqual([
        [b.id, 'admin'],
        [a.id, 'owner'],
      ]);
      expect(orgs[0]).toEqual({ ...b, role: 'admin' });
      expect(await s.organizations.listOrganizationsForUser(randomUUID())).toEqual([]);
    });
  });
}
