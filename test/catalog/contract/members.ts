// Catalog contract, memberships and invitations: run on every catalog backend by test/catalog/contract.ts.
import { describe, expect, it } from 'vitest';
import { type ContractContext, HOUR, newEmail, newHash, T0 } from './context.js';

export function membersContract(c: ContractContext): void {
  const { s, org, member, invite } = c;

  describe('members', () => {
    it('adds, reads, lists with user fields in join order, changes role and removes', async () => {
      const o = await org();
      const owner = await member(o, 'owner', T0 + 1);
      const m = await member(o, 'member', T0 + 2);
      expect(await s.members.getMembership(o.id, owner.id)).toEqual({ role: 'owner' });
      expect(await s.members.listMembers(o.id)).toEqual([
        { user_id: owner.id, email: owner.email, first_name: null, last_name: null, status: 'active', role: 'owner', created_at: T0 + 1 },
        { user_id: m.id, email: m.email, first_name: null, last_name: null, status: 'active', role: 'member', created_at: T0 + 2 },
      ]);
      expect(await s.members.setMemberRole(o.id, m.id, 'admin')).toBe(true);
      expect(await s.members.getMembership(o.id, m.id)).toEqual({ role: 'admin' });
      expect(await s.members.removeMember(o.id, m.id)).toBe(true);
      expect(await s.members.removeMember(o.id, m.id)).toBe(false);
      expect(await s.members.getMembership(o.id, m.id)).toBeUndefined();
      expect((await s.members.listMembers(o.id)).map((r) => r.user_id)).toEqual([owner.id]);
    });

    it('keeps organizations apart and refuses a duplicate membership', async () => {
      const [a, b] = [await org(), await org()];
      const u = await member(a, 'owner');
      expect(await s.members.getMembership(b.id, u.id)).toBeUndefined();
      expect(await s.members.setMemberRole(b.id, u.id, 'member')).toBe(false);
      expect(await s.members.removeMember(b.id, u.id)).toBe(false);
      expect(await s.members.listMembers(b.id)).toEqual([]);
      await expect(s.members.addMember({ organizationId: a.id, userId: u.id, role: 'member', now: T0 })).rejects.toThrow();
      expect(await s.members.getMembership(a.id, u.id)).toEqual({ role: 'owner' });
    });

    it('counts owners per organization', async () => {
      const [a, b] = [await org(), await org()];
      expect(await s.members.countOwners(a.id)).toBe(0);
      await member(a, 'owner');
      const second = await member(a, 'owner');
      await member(a, 'admin');
      await member(b, 'owner');
      expect(await s.members.countOwners(a.id)).toBe(2);
      await s.members.setMemberRole(a.id, second.id, 'member');
      expect(await s.members.countOwners(a.id)).toBe(1);
      expect(await s.members.countOwners(b.id)).toBe(1);
    });
  });

  describe('invites', () => {
    it('round-trips an invite and scopes getInvite to its organization', async () => {
      const [o, other] = [await org(), await org()];
      const i = await invite(o);
      expect(i).toMatchObject({ organization_id: o.id, role: 'member', accepted_at: null, cancelled_at: null, invited_by: null });
      expect(await s.invites.getInvite(o.id, i.id)).toEqual(i);
      expect(await s.invites.getInvite(other.id, i.id)).toBeUndefined();
    });

    it('finds an open invite by token hash until it expires (the expiry instant is already too late)', async () => {
      const o = await org();
      const i = await invite(o, { now: T0, ttl: HOUR });
      expect(await s.invites.findOpenInviteByTokenHash(i.token_hash, T0 + HOUR - 1)).toEqual(i);
      expect(await s.invites.findOpenInviteByTokenHash(i.token_hash, T0 + HOUR)).toBeUndefined();
      expect(await s.invites.findOpenInviteByTokenHash(newHash(), T0)).toBeUndefined();
    });

    it('renews the token and expiry: the old hash stops working, the new one works, even after expiry', async () => {
      const o = await org();
      const i = await invite(o, { now: T0, ttl: HOUR });
      const fresh = newHash();
      await s.invites.renewInvite(i.id, fresh, T0 + 10 * HOUR);
      expect(await s.invites.findOpenInviteByTokenHash(i.token_hash, T0)).toBeUndefined();
      expect(await s.invites.findOpenInviteByTokenHash(fresh, T0 + 5 * HOUR)).toEqual({
        ...i,
        token_hash: fresh,
        expires_at: T0 + 10 * HOUR,
      });
    });

    it('accepts once: two racing accepts, exactly one wins; an accepted invite is no longer open or pending', async () => {
      const o = await org();
      const i = await invite(o);
      const results = await Promise.all([s.invites.acceptInvite(i.id, T0 + 1), s.invites.acceptInvite(i.id, T0 + 2)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.invites.acceptInvite(i.id, T0 + 3)).toBe(false);
      const stored = await s.invites.getInvite(o.id, i.id);
      expect([T0 + 1, T0 + 2]).toContain(stored?.accepted_at);
      expect(await s.invites.findOpenInviteByTokenHash(i.token_hash, T0)).toBeUndefined();
      expect(await s.invites.findPendingInvite(o.id, i.email)).toBeUndefined();
      expect(await s.invites.cancelInvite(o.id, i.id, T0 + 4)).toBe(false);
    });

    it('accepts once inside racing transactions too', async () => {
      const o = await org();
      const i = await invite(o);
      const attempt = (at: number) => s.transaction((tx) => tx.invites.acceptInvite(i.id, at));
      const results = await Promise.all([attempt(T0 + 1), attempt(T0 + 2), attempt(T0 + 3)]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('cancels once, only in its own organization; a cancelled invite cannot be accepted', async () => {
      const [o, other] = [await org(), await org()];
      const i = await invite(o);
      expect(await s.invites.cancelInvite(other.id, i.id, T0 + 1)).toBe(false);
      expect(await s.invites.cancelInvite(o.id, i.id, T0 + 1)).toBe(true);
      expect(await s.invites.cancelInvite(o.id, i.id, T0 + 2)).toBe(false);
      expect(await s.invites.getInvite(o.id, i.id)).toMatchObject({ cancelled_at: T0 + 1, accepted_at: null });
      expect(await s.invites.acceptInvite(i.id, T0 + 3)).toBe(false);
      expect(await s.invites.findOpenInviteByTokenHash(i.token_hash, T0)).toBeUndefined();
    });

    it('finds the newest pending invite for an email and lists pending invites in creation order', async () => {
      const [o, other] = [await org(), await org()];
      const email = newEmail();
      const old = await invite(o, { email, now: T0 + 1 });
      const newer = await invite(o, { email, now: T0 + 2 });
      const accepted = await invite(o, { now: T0 + 3 });
      const cancelled = await invite(o, { now: T0 + 4 });
      await invite(other, { email, now: T0 + 5 });
      await s.invites.acceptInvite(accepted.id, T0 + 6);
      await s.invites.cancelInvite(o.id, cancelled.id, T0 + 6);
      expect((await s.invites.findPendingInvite(o.id, email))?.id).toBe(newer.id);
      expect(await s.invites.findPendingInvite(o.id, newEmail())).toBeUndefined();
      expect((await s.invites.listPendingInvites(o.id)).map((i) => i.id)).toEqual([old.id, newer.id]);
    });

    it('refuses two invites with the same token hash', async () => {
      const o = await org();
      const i = await invite(o);
      await expect(
        s.invites.createInvite({
          organizationId: o.id,
          email: newEmail(),
          role: 'admin',
          tokenHash: i.token_hash,
          invitedBy: null,
          now: T0,
          expiresAt: T0 + HOUR,
        }),
      ).rejects.toThrow();
    });
  });
}
