// What every section of the catalog contract shares: the catalog under test, fixed instants, and
// helpers that make rows with random ids, so sections may share a database and run in any order.
import { randomBytes, randomUUID } from 'node:crypto';
import type { User } from '../../../src/accounts/store.js';
import type { Catalog } from '../../../src/catalog/catalog.js';
import type { Organization } from '../../../src/organizations/store.js';

/** 2026-01-01T00:00:00Z: well past 2^31, so a 32-bit column would show. */
export const T0 = 1_767_225_600_000;
export const HOUR = 3_600_000;

export const tag = (): string => randomUUID().slice(0, 8);
export const newEmail = (): string => `contract-${randomUUID()}@example.com`;
export const newHash = (): string => randomBytes(32).toString('hex');

export function contractContext(s: Catalog) {
  const org = (now = T0): Promise<Organization> => s.organizations.createOrganization({ name: `Org ${tag()}`, now });
  const user = (now = T0, status: User['status'] = 'active'): Promise<User> => s.users.createUser({ email: newEmail(), status, now });
  const member = async (o: Organization, role: 'owner' | 'admin' | 'member' = 'member', now = T0): Promise<User> => {
    const u = await user(now);
    await s.members.addMember({ organizationId: o.id, userId: u.id, role, now });
    return u;
  };
  const invite = (o: Organization, opts: { email?: string; now?: number; ttl?: number } = {}) =>
    s.invites.createInvite({
      organizationId: o.id,
      email: opts.email ?? newEmail(),
      role: 'member',
      tokenHash: newHash(),
      invitedBy: null,
      now: opts.now ?? T0,
      expiresAt: (opts.now ?? T0) + (opts.ttl ?? HOUR),
    });
  const key = (o: Organization, opts: { clientId?: string | null; secretRequired?: boolean; now?: number } = {}) =>
    s.apiKeys.createApiKey({
      organizationId: o.id,
      clientId: opts.clientId ?? null,
      name: `key ${tag()}`,
      keyPrefix: `dlvr_${tag().slice(0, 7)}`,
      keyHash: newHash(),
      secretHash: newHash(),
      secretRequired: opts.secretRequired ?? true,
      createdBy: null,
      now: opts.now ?? T0,
    });
  return { s, org, user, member, invite, key };
}

export type ContractContext = ReturnType<typeof contractContext>;
