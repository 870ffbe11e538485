// The one contract every catalog backend must pass (SQLite and PostgreSQL today), so the single
// Kysely store cannot quietly behave differently on the two engines: same rows back, same types
// (epoch ms as numbers, flags as 0/1), same ordering, same constraints, same "only once" guarantees.
// It talks only to CatalogStore, and every test makes its own organizations, users and tokens with
// random ids, so runs may share a database and execute in any order.

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLog, CatalogStore, Organization, User } from '../../src/catalog/store.js';
import { ApiError } from '../../src/platform/errors.js';

/** 2026-01-01T00:00:00Z: well past 2^31, so a 32-bit column would show. */
const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;

const tag = (): string => randomUUID().slice(0, 8);
const newEmail = (): string => `contract-${randomUUID()}@example.com`;
const newHash = (): string => randomBytes(32).toString('hex');

/**
 * Registers the suite. `open` returns null when the backend is not configured (no server in this
 * environment); the suite is then skipped with a line saying why. Await it at the top level.
 */
export async function runCatalogContract(name: string, open: () => Promise<CatalogStore | null>): Promise<void> {
  const opened = await open();
  if (!opened) {
    console.log(`[catalog contract] ${name}: skipped, backend not configured`);
    describe.skip(`catalog contract: ${name} (not configured)`, () => {
      it('needs a configured backend', () => undefined);
    });
    return;
  }
  const s: CatalogStore = opened;

  const org = (now = T0): Promise<Organization> => s.createOrganization({ name: `Org ${tag()}`, now });
  const user = (now = T0, status: User['status'] = 'active'): Promise<User> => s.createUser({ email: newEmail(), status, now });
  const member = async (o: Organization, role: 'owner' | 'admin' | 'member' = 'member', now = T0): Promise<User> => {
    const u = await user(now);
    await s.addMember({ organizationId: o.id, userId: u.id, role, now });
    return u;
  };
  const invite = (o: Organization, opts: { email?: string; now?: number; ttl?: number } = {}) =>
    s.createInvite({
      organizationId: o.id,
      email: opts.email ?? newEmail(),
      role: 'member',
      tokenHash: newHash(),
      invitedBy: null,
      now: opts.now ?? T0,
      expiresAt: (opts.now ?? T0) + (opts.ttl ?? HOUR),
    });
  const key = (o: Organization, opts: { clientId?: string | null; secretRequired?: boolean; now?: number } = {}) =>
    s.createApiKey({
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

  describe(`catalog contract: ${name}`, () => {
    beforeAll(async () => {
      await s.ping();
    });
    afterAll(async () => {
      await s.db.destroy();
    });

    describe('organizations', () => {
      it('round-trips a row with the same values and types', async () => {
        const o = await org(T0 + 123);
        expect(o).toMatchObject({ status: 'active', created_at: T0 + 123 });
        const got = await s.getOrganization(o.id);
        expect(got).toEqual(o);
        expect(typeof got?.created_at).toBe('number');
        expect(await s.getOrganization(randomUUID())).toBeUndefined();
      });

      it('lists every organization by creation time and counts them', async () => {
        const before = await s.countOrganizations();
        const later = await org(T0 + 2);
        const earlier = await org(T0 + 1);
        expect(await s.countOrganizations()).toBeGreaterThanOrEqual(before + 2);
        const ids = (await s.listOrganizations()).map((o) => o.id);
        expect(ids).toContain(earlier.id);
        expect(ids.indexOf(earlier.id)).toBeLessThan(ids.indexOf(later.id));
      });

      it("lists a user's organizations with their role, in the order they joined, and no others", async () => {
        const [a, b, unrelated] = [await org(), await org(), await org()];
        const u = await user();
        await s.addMember({ organizationId: b.id, userId: u.id, role: 'admin', now: T0 + 1 });
        await s.addMember({ organizationId: a.id, userId: u.id, role: 'owner', now: T0 + 2 });
        await member(unrelated);
        const orgs = await s.listOrganizationsForUser(u.id);
        expect(orgs.map((o) => [o.id, o.role])).toEqual([
          [b.id, 'admin'],
          [a.id, 'owner'],
        ]);
        expect(orgs[0]).toEqual({ ...b, role: 'admin' });
        expect(await s.listOrganizationsForUser(randomUUID())).toEqual([]);
      });
    });

    describe('users', () => {
      it('round-trips a user, with nulls for the optional fields', async () => {
        const email = newEmail();
        const u = await s.createUser({ email, status: 'invited', now: T0 });
        expect(u).toMatchObject({ email, first_name: null, last_name: null, password_hash: null, status: 'invited' });
        expect(await s.getUser(u.id)).toEqual(u);
        expect(await s.findUserByEmail(email)).toEqual(u);
        expect(await s.getUser(randomUUID())).toBeUndefined();
        expect(await s.findUserByEmail(newEmail())).toBeUndefined();
      });

      it('finds by exact (already normalised) email only, the same on every engine', async () => {
        const email = newEmail();
        await s.createUser({ email, status: 'active', now: T0 });
        expect(await s.findUserByEmail(email.toUpperCase())).toBeUndefined();
      });

      it('updates only the fields given, and updated_at', async () => {
        const u = await s.createUser({
          email: newEmail(),
          firstName: 'Ann',
          lastName: 'Lee',
          passwordHash: 'h1',
          status: 'invited',
          now: T0,
        });
        await s.updateUser(u.id, { password_hash: 'h2', status: 'active' }, T0 + 5);
        expect(await s.getUser(u.id)).toEqual({ ...u, password_hash: 'h2', status: 'active', updated_at: T0 + 5 });
        await s.updateUser(u.id, { first_name: null }, T0 + 6);
        expect(await s.getUser(u.id)).toMatchObject({ first_name: null, last_name: 'Lee', password_hash: 'h2', updated_at: T0 + 6 });
      });

      it('refuses a second user with the same email and keeps the first', async () => {
        const email = newEmail();
        const first = await s.createUser({ email, firstName: 'First', status: 'active', now: T0 });
        await expect(s.createUser({ email, firstName: 'Second', status: 'active', now: T0 + 1 })).rejects.toThrow();
        expect(await s.findUserByEmail(email)).toEqual(first);
      });
    });

    describe('members', () => {
      it('adds, reads, lists with user fields in join order, changes role and removes', async () => {
        const o = await org();
        const owner = await member(o, 'owner', T0 + 1);
        const m = await member(o, 'member', T0 + 2);
        expect(await s.getMembership(o.id, owner.id)).toEqual({ role: 'owner' });
        expect(await s.listMembers(o.id)).toEqual([
          { user_id: owner.id, email: owner.email, first_name: null, last_name: null, status: 'active', role: 'owner', created_at: T0 + 1 },
          { user_id: m.id, email: m.email, first_name: null, last_name: null, status: 'active', role: 'member', created_at: T0 + 2 },
        ]);
        expect(await s.setMemberRole(o.id, m.id, 'admin')).toBe(true);
        expect(await s.getMembership(o.id, m.id)).toEqual({ role: 'admin' });
        expect(await s.removeMember(o.id, m.id)).toBe(true);
        expect(await s.removeMember(o.id, m.id)).toBe(false);
        expect(await s.getMembership(o.id, m.id)).toBeUndefined();
        expect((await s.listMembers(o.id)).map((r) => r.user_id)).toEqual([owner.id]);
      });

      it('keeps organizations apart and refuses a duplicate membership', async () => {
        const [a, b] = [await org(), await org()];
        const u = await member(a, 'owner');
        expect(await s.getMembership(b.id, u.id)).toBeUndefined();
        expect(await s.setMemberRole(b.id, u.id, 'member')).toBe(false);
        expect(await s.removeMember(b.id, u.id)).toBe(false);
        expect(await s.listMembers(b.id)).toEqual([]);
        await expect(s.addMember({ organizationId: a.id, userId: u.id, role: 'member', now: T0 })).rejects.toThrow();
        expect(await s.getMembership(a.id, u.id)).toEqual({ role: 'owner' });
      });

      it('counts owners per organization', async () => {
        const [a, b] = [await org(), await org()];
        expect(await s.countOwners(a.id)).toBe(0);
        await member(a, 'owner');
        const second = await member(a, 'owner');
        await member(a, 'admin');
        await member(b, 'owner');
        expect(await s.countOwners(a.id)).toBe(2);
        await s.setMemberRole(a.id, second.id, 'member');
        expect(await s.countOwners(a.id)).toBe(1);
        expect(await s.countOwners(b.id)).toBe(1);
      });
    });

    describe('invites', () => {
      it('round-trips an invite and scopes getInvite to its organization', async () => {
        const [o, other] = [await org(), await org()];
        const i = await invite(o);
        expect(i).toMatchObject({ organization_id: o.id, role: 'member', accepted_at: null, cancelled_at: null, invited_by: null });
        expect(await s.getInvite(o.id, i.id)).toEqual(i);
        expect(await s.getInvite(other.id, i.id)).toBeUndefined();
      });

      it('finds an open invite by token hash until it expires (the expiry instant is already too late)', async () => {
        const o = await org();
        const i = await invite(o, { now: T0, ttl: HOUR });
        expect(await s.findOpenInviteByTokenHash(i.token_hash, T0 + HOUR - 1)).toEqual(i);
        expect(await s.findOpenInviteByTokenHash(i.token_hash, T0 + HOUR)).toBeUndefined();
        expect(await s.findOpenInviteByTokenHash(newHash(), T0)).toBeUndefined();
      });

      it('renews the token and expiry: the old hash stops working, the new one works, even after expiry', async () => {
        const o = await org();
        const i = await invite(o, { now: T0, ttl: HOUR });
        const fresh = newHash();
        await s.renewInvite(i.id, fresh, T0 + 10 * HOUR);
        expect(await s.findOpenInviteByTokenHash(i.token_hash, T0)).toBeUndefined();
        expect(await s.findOpenInviteByTokenHash(fresh, T0 + 5 * HOUR)).toEqual({ ...i, token_hash: fresh, expires_at: T0 + 10 * HOUR });
      });

      it('accepts once: two racing accepts, exactly one wins; an accepted invite is no longer open or pending', async () => {
        const o = await org();
        const i = await invite(o);
        const results = await Promise.all([s.acceptInvite(i.id, T0 + 1), s.acceptInvite(i.id, T0 + 2)]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await s.acceptInvite(i.id, T0 + 3)).toBe(false);
        const stored = await s.getInvite(o.id, i.id);
        expect([T0 + 1, T0 + 2]).toContain(stored?.accepted_at);
        expect(await s.findOpenInviteByTokenHash(i.token_hash, T0)).toBeUndefined();
        expect(await s.findPendingInvite(o.id, i.email)).toBeUndefined();
        expect(await s.cancelInvite(o.id, i.id, T0 + 4)).toBe(false);
      });

      it('accepts once inside racing transactions too', async () => {
        const o = await org();
        const i = await invite(o);
        const attempt = (at: number) => s.transaction((tx) => tx.acceptInvite(i.id, at));
        const results = await Promise.all([attempt(T0 + 1), attempt(T0 + 2), attempt(T0 + 3)]);
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('cancels once, only in its own organization; a cancelled invite cannot be accepted', async () => {
        const [o, other] = [await org(), await org()];
        const i = await invite(o);
        expect(await s.cancelInvite(other.id, i.id, T0 + 1)).toBe(false);
        expect(await s.cancelInvite(o.id, i.id, T0 + 1)).toBe(true);
        expect(await s.cancelInvite(o.id, i.id, T0 + 2)).toBe(false);
        expect(await s.getInvite(o.id, i.id)).toMatchObject({ cancelled_at: T0 + 1, accepted_at: null });
        expect(await s.acceptInvite(i.id, T0 + 3)).toBe(false);
        expect(await s.findOpenInviteByTokenHash(i.token_hash, T0)).toBeUndefined();
      });

      it('finds the newest pending invite for an email and lists pending invites in creation order', async () => {
        const [o, other] = [await org(), await org()];
        const email = newEmail();
        const old = await invite(o, { email, now: T0 + 1 });
        const newer = await invite(o, { email, now: T0 + 2 });
        const accepted = await invite(o, { now: T0 + 3 });
        const cancelled = await invite(o, { now: T0 + 4 });
        await invite(other, { email, now: T0 + 5 });
        await s.acceptInvite(accepted.id, T0 + 6);
        await s.cancelInvite(o.id, cancelled.id, T0 + 6);
        expect((await s.findPendingInvite(o.id, email))?.id).toBe(newer.id);
        expect(await s.findPendingInvite(o.id, newEmail())).toBeUndefined();
        expect((await s.listPendingInvites(o.id)).map((i) => i.id)).toEqual([old.id, newer.id]);
      });

      it('refuses two invites with the same token hash', async () => {
        const o = await org();
        const i = await invite(o);
        await expect(
          s.createInvite({
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

    describe('sessions', () => {
      it('finds a live session until it expires', async () => {
        const u = await user();
        const tokenHash = newHash();
        const session = await s.createSession({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR });
        expect(session).toMatchObject({ user_id: u.id, token_hash: tokenHash, revoked_at: null, expires_at: T0 + HOUR });
        expect(await s.findLiveSession(tokenHash, T0 + HOUR - 1)).toEqual(session);
        expect(await s.findLiveSession(tokenHash, T0 + HOUR)).toBeUndefined();
        expect(await s.findLiveSession(newHash(), T0)).toBeUndefined();
      });

      it('revokes one session, or every session of one user and no one else', async () => {
        const [u, other] = [await user(), await user()];
        const mk = (userId: string) => {
          const tokenHash = newHash();
          return s.createSession({ userId, tokenHash, now: T0, expiresAt: T0 + HOUR }).then(() => tokenHash);
        };
        const [a, b, c, theirs] = [await mk(u.id), await mk(u.id), await mk(u.id), await mk(other.id)];
        const sa = await s.findLiveSession(a, T0);
        await s.revokeSession(sa?.id ?? '', T0 + 1);
        expect(await s.findLiveSession(a, T0 + 2)).toBeUndefined();
        expect(await s.findLiveSession(b, T0 + 2)).toBeDefined();
        await s.revokeUserSessions(u.id, T0 + 3);
        expect(await s.findLiveSession(b, T0 + 4)).toBeUndefined();
        expect(await s.findLiveSession(c, T0 + 4)).toBeUndefined();
        expect(await s.findLiveSession(theirs, T0 + 4)).toBeDefined();
      });
    });

    describe('password resets', () => {
      it('are used once, even when two requests race', async () => {
        const u = await user();
        const tokenHash = newHash();
        await s.createPasswordReset({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR });
        const results = await Promise.all([s.consumePasswordReset(tokenHash, T0 + 1), s.consumePasswordReset(tokenHash, T0 + 1)]);
        expect(results.filter((r) => r !== undefined)).toEqual([u.id]);
        expect(await s.consumePasswordReset(tokenHash, T0 + 2)).toBeUndefined();
      });

      it('are refused once expired or unknown', async () => {
        const u = await user();
        const tokenHash = newHash();
        await s.createPasswordReset({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR });
        expect(await s.consumePasswordReset(tokenHash, T0 + HOUR)).toBeUndefined();
        expect(await s.consumePasswordReset(newHash(), T0)).toBeUndefined();
      });
    });

    describe('API clients and keys', () => {
      it('round-trips keys with secret_required as 0/1 and lists them per organization in creation order', async () => {
        const [o, other] = [await org(), await org()];
        const k1 = await key(o, { now: T0 + 1 });
        const k2 = await key(o, { now: T0 + 2, secretRequired: false });
        await key(other);
        expect(k1).toMatchObject({ secret_required: 1, status: 'active', last_used_at: null, revoked_at: null, secret_rotated_at: null });
        expect(await s.getApiKey(o.id, k2.id)).toEqual({ ...k2, secret_required: 0 });
        expect(await s.getApiKey(other.id, k1.id)).toBeUndefined();
        expect((await s.listApiKeys(o.id)).map((k) => k.id)).toEqual([k1.id, k2.id]);
      });

      it('creates clients, lists active ones, and deleting one revokes its keys at once and only its keys', async () => {
        const [o, other] = [await org(), await org()];
        const c1 = await s.createApiClient({ organizationId: o.id, name: 'one', createdBy: null, now: T0 + 1 });
        const c2 = await s.createApiClient({ organizationId: o.id, name: 'two', createdBy: null, now: T0 + 2 });
        expect(c1).toMatchObject({ status: 'active', deleted_at: null });
        const k1 = await key(o, { clientId: c1.id });
        const k2 = await key(o, { clientId: c2.id });
        const loose = await key(o);
        expect((await s.listApiClients(o.id)).map((c) => c.id)).toEqual([c1.id, c2.id]);
        expect((await s.listApiKeys(o.id, { clientIds: [c1.id] })).map((k) => k.id)).toEqual([k1.id]);
        expect(await s.listApiKeys(o.id, { clientIds: [] })).toEqual([]);

        expect(await s.deleteApiClient(other.id, c1.id, T0 + 5)).toBe(false);
        expect(await s.deleteApiClient(o.id, c1.id, T0 + 5)).toBe(true);
        expect(await s.deleteApiClient(o.id, c1.id, T0 + 6)).toBe(false);
        expect((await s.listApiClients(o.id)).map((c) => c.id)).toEqual([c2.id]);
        expect(await s.getApiKey(o.id, k1.id)).toMatchObject({ status: 'revoked', revoked_at: T0 + 5 });
        expect(await s.findApiKeyByHash(k1.key_hash)).toMatchObject({ status: 'revoked' });
        expect(await s.getApiKey(o.id, k2.id)).toMatchObject({ status: 'active', revoked_at: null });
        expect(await s.getApiKey(o.id, loose.id)).toMatchObject({ status: 'active' });
      });

      it('finds a key by hash together with its organization status', async () => {
        const o = await org();
        const k = await key(o);
        expect(await s.findApiKeyByHash(k.key_hash)).toEqual({ ...k, organization_status: 'active' });
        expect(await s.findApiKeyByHash(newHash())).toBeUndefined();
        await s.db.updateTable('organizations').set({ status: 'suspended' }).where('id', '=', o.id).execute();
        expect(await s.findApiKeyByHash(k.key_hash)).toMatchObject({ id: k.id, organization_status: 'suspended' });
      });

      it('refuses two keys with the same hash', async () => {
        const o = await org();
        const k = await key(o);
        await expect(
          s.createApiKey({
            organizationId: o.id,
            clientId: null,
            name: 'dup',
            keyPrefix: 'dlvr_dup',
            keyHash: k.key_hash,
            secretHash: null,
            secretRequired: false,
            createdBy: null,
            now: T0,
          }),
        ).rejects.toThrow();
      });

      it('revokes once, only in its own organization', async () => {
        const [o, other] = [await org(), await org()];
        const k = await key(o);
        expect(await s.revokeApiKey(other.id, k.id, T0 + 1)).toBe(false);
        expect(await s.revokeApiKey(o.id, k.id, T0 + 1)).toBe(true);
        expect(await s.revokeApiKey(o.id, k.id, T0 + 2)).toBe(false);
        expect(await s.getApiKey(o.id, k.id)).toMatchObject({ status: 'revoked', revoked_at: T0 + 1 });
      });

      it('rotates the secret of an active key (and requires it from then on), not of a revoked or foreign key', async () => {
        const [o, other] = [await org(), await org()];
        const k = await key(o, { secretRequired: false });
        const secret = newHash();
        expect(await s.rotateApiSecret(other.id, k.id, secret, T0 + 1)).toBe(false);
        expect(await s.rotateApiSecret(o.id, k.id, secret, T0 + 1)).toBe(true);
        expect(await s.getApiKey(o.id, k.id)).toEqual({ ...k, secret_hash: secret, secret_required: 1, secret_rotated_at: T0 + 1 });
        await s.revokeApiKey(o.id, k.id, T0 + 2);
        expect(await s.rotateApiSecret(o.id, k.id, newHash(), T0 + 3)).toBe(false);
        expect((await s.getApiKey(o.id, k.id))?.secret_hash).toBe(secret);
      });

      it('touches last_used_at of the given keys only; an empty list is a no-op', async () => {
        const o = await org();
        const [a, b, c] = [await key(o), await key(o), await key(o)];
        await s.touchApiKeys([a.id, b.id], T0 + 9);
        await s.touchApiKeys([], T0 + 10);
        expect((await s.getApiKey(o.id, a.id))?.last_used_at).toBe(T0 + 9);
        expect((await s.getApiKey(o.id, b.id))?.last_used_at).toBe(T0 + 9);
        expect((await s.getApiKey(o.id, c.id))?.last_used_at).toBeNull();
      });
    });

    describe('access logs', () => {
      it('lists one key’s entries newest first, up to the limit, scoped to organization and key', async () => {
        const [o, other] = [await org(), await org()];
        const [k, k2] = [await key(o), await key(o)];
        const entry = (ts: number, over: Partial<Omit<AccessLog, 'id'>> = {}): Omit<AccessLog, 'id'> => ({
          key_id: k.id,
          organization_id: o.id,
          method: 'GET',
          path: '/api/v2/events_schema',
          status: 200,
          ts,
          ip: '127.0.0.1',
          ...over,
        });
        await s.appendAccessLogs([entry(T0 + 1), entry(T0 + 3, { status: 401, ip: null }), entry(T0 + 2, { method: 'POST' })]);
        await s.appendAccessLogs([entry(T0 + 4, { key_id: k2.id }), entry(T0 + 5, { organization_id: other.id })]);
        await s.appendAccessLogs([]);
        const all = await s.listAccessLogs(o.id, k.id, 10);
        expect(all.map((e) => e.ts)).toEqual([T0 + 3, T0 + 2, T0 + 1]);
        const { id, ...newest } = all[0] as AccessLog;
        expect(typeof id).toBe('string');
        expect(newest).toEqual(entry(T0 + 3, { status: 401, ip: null }));
        expect((await s.listAccessLogs(o.id, k.id, 2)).map((e) => e.ts)).toEqual([T0 + 3, T0 + 2]);
        expect(await s.listAccessLogs(other.id, k2.id, 10)).toEqual([]);
      });

      it('lists entries with the same timestamp in the reverse of the order they were appended', async () => {
        const o = await org();
        const k = await key(o);
        const at = (path: string): Omit<AccessLog, 'id'> => ({
          key_id: k.id,
          organization_id: o.id,
          method: 'GET',
          path,
          status: 200,
          ts: T0,
          ip: null,
        });
        await s.appendAccessLogs(['/1', '/2', '/3'].map(at));
        await s.appendAccessLogs(['/4'].map(at));
        await s.appendAccessLogs(['/5', '/6'].map(at));
        expect((await s.listAccessLogs(o.id, k.id, 10)).map((e) => e.path)).toEqual(['/6', '/5', '/4', '/3', '/2', '/1']);
      });
    });

    describe('apps', () => {
      it('creates, lists per user, finds by id and client id, deletes once and only its owner', async () => {
        const [u, other] = [await user(), await user()];
        const clientId = `client_${tag()}${tag()}`;
        const a = await s.createApp({ userId: u.id, name: 'one', clientId, secretHash: newHash(), now: T0 + 1 });
        const b = await s.createApp({ userId: u.id, name: 'two', clientId: `client_${tag()}${tag()}`, secretHash: newHash(), now: T0 + 2 });
        await s.createApp({ userId: other.id, name: 'theirs', clientId: `client_${tag()}${tag()}`, secretHash: newHash(), now: T0 });
        expect(a).toMatchObject({ status: 'active', deleted_at: null, created_at: T0 + 1, updated_at: T0 + 1 });
        expect(await s.getApp(a.id)).toEqual(a);
        expect(await s.findAppByClientId(clientId)).toEqual(a);
        expect(await s.findAppByClientId(`client_${tag()}`)).toBeUndefined();
        expect((await s.listApps(u.id)).map((x) => x.id)).toEqual([a.id, b.id]);

        expect(await s.deleteApp(other.id, a.id, T0 + 3)).toBe(false);
        expect(await s.deleteApp(u.id, a.id, T0 + 3)).toBe(true);
        expect(await s.deleteApp(u.id, a.id, T0 + 4)).toBe(false);
        expect(await s.getApp(a.id)).toBeUndefined();
        expect(await s.findAppByClientId(clientId)).toBeUndefined();
        expect((await s.listApps(u.id)).map((x) => x.id)).toEqual([b.id]);
      });

      it('refuses two apps with the same client id', async () => {
        const u = await user();
        const clientId = `client_${tag()}${tag()}`;
        await s.createApp({ userId: u.id, name: 'one', clientId, secretHash: newHash(), now: T0 });
        await expect(s.createApp({ userId: u.id, name: 'two', clientId, secretHash: newHash(), now: T0 })).rejects.toThrow();
      });
    });

    describe('projects', () => {
      it('creates, lists per organization in creation order, gets, and renames only in its organization', async () => {
        const [o, other] = [await org(), await org()];
        const p1 = await s.createProject({ organizationId: o.id, name: 'first', now: T0 + 1 });
        const p2 = await s.createProject({ organizationId: o.id, name: 'second', now: T0 + 2 });
        await s.createProject({ organizationId: other.id, name: 'theirs', now: T0 });
        expect(p1).toMatchObject({ organization_id: o.id, status: 'active', created_at: T0 + 1, updated_at: T0 + 1 });
        expect(await s.getProject(p1.id)).toEqual(p1);
        expect(await s.getProject(randomUUID())).toBeUndefined();
        expect((await s.listProjects(o.id)).map((p) => p.id)).toEqual([p1.id, p2.id]);

        expect(await s.renameProject(other.id, p1.id, 'hijack', T0 + 3)).toBe(false);
        expect(await s.renameProject(o.id, p1.id, 'renamed', T0 + 3)).toBe(true);
        expect(await s.getProject(p1.id)).toEqual({ ...p1, name: 'renamed', updated_at: T0 + 3 });
      });
    });

    describe('pixels', () => {
      it('creates, lists per project and per organization, and hides deleted pixels everywhere', async () => {
        const [o, other] = [await org(), await org()];
        const [pa, pb] = [
          await s.createProject({ organizationId: o.id, name: 'a', now: T0 }),
          await s.createProject({ organizationId: o.id, name: 'b', now: T0 }),
        ];
        const x1 = await s.createPixel({ organizationId: o.id, projectId: pa.id, title: 'x1', trackers: 'spa', now: T0 + 1 });
        const x2 = await s.createPixel({
          organizationId: o.id,
          projectId: pb.id,
          title: 'x2',
          respectPrivacy: true,
          trackers: 'spa,clicks,forms',
          now: T0 + 2,
        });
        const x3 = await s.createPixel({ organizationId: o.id, projectId: pa.id, title: 'x3', trackers: '', now: T0 + 3 });
        expect(x1).toMatchObject({ status: 'active', respect_privacy: 0, trackers: 'spa', deleted_at: null, first_event_at: null });
        expect(await s.getPixel(x2.id)).toEqual({ ...x2, respect_privacy: 1, trackers: 'spa,clicks,forms' });
        expect((await s.getPixel(x3.id))?.trackers).toBe('');
        expect((await s.listPixels(pa.id)).map((p) => p.id)).toEqual([x1.id, x3.id]);
        expect((await s.listOrganizationPixels(o.id)).map((p) => p.id)).toEqual([x1.id, x2.id, x3.id]);

        expect(await s.deletePixel(other.id, x1.id, T0 + 4)).toBe(false);
        expect(await s.deletePixel(o.id, x1.id, T0 + 4)).toBe(true);
        expect(await s.deletePixel(o.id, x1.id, T0 + 5)).toBe(false);
        expect(await s.getPixel(x1.id)).toBeUndefined();
        expect((await s.listPixels(pa.id)).map((p) => p.id)).toEqual([x3.id]);
        expect((await s.listOrganizationPixels(o.id)).map((p) => p.id)).toEqual([x2.id, x3.id]);
      });

      it('updates only the given settings of a live pixel in its own organization', async () => {
        const [o, other] = [await org(), await org()];
        const p = await s.createProject({ organizationId: o.id, name: 'p', now: T0 });
        const x = await s.createPixel({ organizationId: o.id, projectId: p.id, title: 'x', trackers: 'spa', now: T0 });
        expect(await s.updatePixel(other.id, x.id, { title: 'hijack' }, T0 + 1)).toBe(false);
        expect(await s.updatePixel(o.id, x.id, { trackers: 'clicks,video' }, T0 + 2)).toBe(true);
        expect(await s.getPixel(x.id)).toEqual({ ...x, trackers: 'clicks,video', updated_at: T0 + 2 });
        expect(await s.updatePixel(o.id, x.id, { title: 'renamed', respectPrivacy: true }, T0 + 3)).toBe(true);
        expect(await s.getPixel(x.id)).toEqual({
          ...x,
          title: 'renamed',
          respect_privacy: 1,
          trackers: 'clicks,video',
          updated_at: T0 + 3,
        });
        await s.deletePixel(o.id, x.id, T0 + 4);
        expect(await s.updatePixel(o.id, x.id, { title: 'ghost' }, T0 + 5)).toBe(false);
      });

      it('marks the first event once; later events do not move it', async () => {
        const o = await org();
        const p = await s.createProject({ organizationId: o.id, name: 'p', now: T0 });
        const x = await s.createPixel({ organizationId: o.id, projectId: p.id, title: 'x', trackers: 'spa', now: T0 });
        await s.markPixelFirstEvent(x.id, T0 + 10);
        await s.markPixelFirstEvent(x.id, T0 + 20);
        expect((await s.getPixel(x.id))?.first_event_at).toBe(T0 + 10);
      });
    });

    describe('transactions', () => {
      it('commit every write and return the callback’s value', async () => {
        const result = await s.transaction(async (tx) => {
          const o = await tx.createOrganization({ name: `Org ${tag()}`, now: T0 });
          const u = await tx.createUser({ email: newEmail(), status: 'active', now: T0 });
          await tx.addMember({ organizationId: o.id, userId: u.id, role: 'owner', now: T0 });
          return { o, u };
        });
        expect(await s.getOrganization(result.o.id)).toEqual(result.o);
        expect(await s.getMembership(result.o.id, result.u.id)).toEqual({ role: 'owner' });
      });

      it('roll back every write when the callback throws, and rethrow the same error', async () => {
        const email = newEmail();
        let orgId = '';
        const thrown = new ApiError('last_owner');
        const attempt = s.transaction(async (tx) => {
          const o = await tx.createOrganization({ name: `Org ${tag()}`, now: T0 });
          orgId = o.id;
          const u = await tx.createUser({ email, status: 'active', now: T0 });
          await tx.addMember({ organizationId: o.id, userId: u.id, role: 'owner', now: T0 });
          throw thrown;
        });
        await expect(attempt).rejects.toBe(thrown);
        expect(orgId).not.toBe('');
        expect(await s.getOrganization(orgId)).toBeUndefined();
        expect(await s.findUserByEmail(email)).toBeUndefined();
      });

      it('roll back when a statement inside fails (unique email), keeping earlier writes of that transaction out', async () => {
        const email = newEmail();
        await s.createUser({ email, status: 'active', now: T0 });
        let orgId = '';
        await expect(
          s.transaction(async (tx) => {
            orgId = (await tx.createOrganization({ name: `Org ${tag()}`, now: T0 })).id;
            await tx.createUser({ email, status: 'active', now: T0 });
          }),
        ).rejects.toThrow();
        expect(await s.getOrganization(orgId)).toBeUndefined();
        // The store is still usable afterwards.
        expect(await s.getOrganization((await org()).id)).toBeDefined();
      });
    });
  });
}
