// Catalog contract, transactions across stores: run on every catalog backend by test/catalog/contract.ts.

import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/platform/errors.js';
import { type ContractContext, newEmail, T0, tag } from './context.js';

export function transactionsContract(c: ContractContext): void {
  const { s, org } = c;

  describe('transactions', () => {
    it('commit every write and return the callback’s value', async () => {
      const result = await s.transaction(async (tx) => {
        const o = await tx.organizations.createOrganization({ name: `Org ${tag()}`, now: T0 });
        const u = await tx.users.createUser({ email: newEmail(), status: 'active', now: T0 });
        await tx.members.addMember({ organizationId: o.id, userId: u.id, role: 'owner', now: T0 });
        return { o, u };
      });
      expect(await s.organizations.getOrganization(result.o.id)).toEqual(result.o);
      expect(await s.members.getMembership(result.o.id, result.u.id)).toEqual({ role: 'owner' });
    });

    it('roll back every write when the callback throws, and rethrow the same error', async () => {
      const email = newEmail();
      let orgId = '';
      const thrown = new ApiError('last_owner');
      const attempt = s.transaction(async (tx) => {
        const o = await tx.organizations.createOrganization({ name: `Org ${tag()}`, now: T0 });
        orgId = o.id;
        const u = await tx.users.createUser({ email, status: 'active', now: T0 });
        await tx.members.addMember({ organizationId: o.id, userId: u.id, role: 'owner', now: T0 });
        throw thrown;
      });
      await expect(attempt).rejects.toBe(thrown);
      expect(orgId).not.toBe('');
      expect(await s.organizations.getOrganization(orgId)).toBeUndefined();
      expect(await s.users.findUserByEmail(email)).toBeUndefined();
    });

    it('roll back when a statement inside fails (unique email), keeping earlier writes of that transaction out', async () => {
      const email = newEmail();
      await s.users.createUser({ email, status: 'active', now: T0 });
      let orgId = '';
      await expect(
        s.transaction(async (tx) => {
          orgId = (await tx.organizations.createOrganization({ name: `Org ${tag()}`, now: T0 })).id;
          await tx.users.createUser({ email, status: 'active', now: T0 });
        }),
      ).rejects.toThrow();
      expect(await s.organizations.getOrganization(orgId)).toBeUndefined();
      // The store is still usable afterwards.
      expect(await s.organizations.getOrganization((await org()).id)).toBeDefined();
    });
  });
}
