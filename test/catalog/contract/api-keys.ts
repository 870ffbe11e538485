// Catalog contract, API keys, legacy clients and access logs: run on every catalog backend by test/catalog/contract.ts.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AccessLog } from '../../../src/api-keys/store.js';
import { type ContractContext, newHash, T0 } from './context.js';

export function apiKeysContract(c: ContractContext): void {
  const { s, org, key } = c;

  describe('API clients and keys', () => {
    it('round-trips keys with secret_required as 0/1 and lists them per organization in creation order', async () => {
      const [o, other] = [await org(), await org()];
      const k1 = await key(o, { now: T0 + 1 });
      const k2 = await key(o, { now: T0 + 2, secretRequired: false });
      await key(other);
      expect(k1).toMatchObject({ secret_required: 1, status: 'active', last_used_at: null, revoked_at: null, secret_rotated_at: null });
      expect(await s.apiKeys.getApiKey(o.id, k2.id)).toEqual({ ...k2, secret_required: 0 });
      expect(await s.apiKeys.getApiKey(other.id, k1.id)).toBeUndefined();
      expect((await s.apiKeys.listApiKeys(o.id)).map((k) => k.id)).toEqual([k1.id, k2.id]);
    });

    it('creates clients, lists active ones, and deleting one revokes its keys at once and only its keys', async () => {
      const [o, other] = [await org(), await org()];
      const c1 = await s.apiClients.createApiClient({ organizationId: o.id, name: 'one', createdBy: null, now: T0 + 1 });
      const c2 = await s.apiClients.createApiClient({ organizationId: o.id, name: 'two', createdBy: null, now: T0 + 2 });
      expect(c1).toMatchObject({ status: 'active', deleted_at: null });
      const k1 = await key(o, { clientId: c1.id });
      const k2 = await key(o, { clientId: c2.id });
      const loose = await key(o);
      expect((await s.apiClients.listApiClients(o.id)).map((c) => c.id)).toEqual([c1.id, c2.id]);
      expect((await s.apiKeys.listApiKeys(o.id, { clientIds: [c1.id] })).map((k) => k.id)).toEqual([k1.id]);
      expect(await s.apiKeys.listApiKeys(o.id, { clientIds: [] })).toEqual([]);

      expect(await s.apiClients.deleteApiClient(other.id, c1.id, T0 + 5)).toBe(false);
      expect(await s.apiClients.deleteApiClient(o.id, c1.id, T0 + 5)).toBe(true);
      expect(await s.apiClients.deleteApiClient(o.id, c1.id, T0 + 6)).toBe(false);
      expect((await s.apiClients.listApiClients(o.id)).map((c) => c.id)).toEqual([c2.id]);
      expect(await s.apiKeys.getApiKey(o.id, k1.id)).toMatchObject({ status: 'revoked', revoked_at: T0 + 5 });
      expect(await s.apiKeys.findApiKeyByHash(k1.key_hash)).toMatchObject({ status: 'revoked' });
      expect(await s.apiKeys.getApiKey(o.id, k2.id)).toMatchObject({ status: 'active', revoked_at: null });
      expect(await s.apiKeys.getApiKey(o.id, loose.id)).toMatchObject({ status: 'active' });
    });

    it('finds a key by hash together with its organization status and secret policy', async () => {
      const o = await org();
      const k = await key(o);
      expect(await s.apiKeys.findApiKeyByHash(k.key_hash)).toEqual({
        ...k,
        organization_status: 'active',
        organization_secret_required: 1,
      });
      expect(await s.organizations.setSecretRequired(o.id, false)).toBe(true);
      expect(await s.apiKeys.findApiKeyByHash(k.key_hash)).toMatchObject({ id: k.id, organization_secret_required: 0 });
      expect(await s.organizations.setSecretRequired(randomUUID(), false)).toBe(false);
      expect(await s.apiKeys.findApiKeyByHash(newHash())).toBeUndefined();
      await s.db.updateTable('organizations').set({ status: 'suspended' }).where('id', '=', o.id).execute();
      expect(await s.apiKeys.findApiKeyByHash(k.key_hash)).toMatchObject({ id: k.id, organization_status: 'suspended' });
    });

    it('refuses two keys with the same hash', async () => {
      const o = await org();
      const k = await key(o);
      await expect(
        s.apiKeys.createApiKey({
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
      expect(await s.apiKeys.revokeApiKey(other.id, k.id, T0 + 1)).toBe(false);
      expect(await s.apiKeys.revokeApiKey(o.id, k.id, T0 + 1)).toBe(true);
      expect(await s.apiKeys.revokeApiKey(o.id, k.id, T0 + 2)).toBe(false);
      expect(await s.apiKeys.getApiKey(o.id, k.id)).toMatchObject({ status: 'revoked', revoked_at: T0 + 1 });
    });

    it('rotates the secret of an active key (and requires it from then on), not of a revoked or foreign key', async () => {
      const [o, other] = [await org(), await org()];
      const k = await key(o, { secretRequired: false });
      const secret = newHash();
      expect(await s.apiKeys.rotateApiSecret(other.id, k.id, secret, T0 + 1)).toBe(false);
      expect(await s.apiKeys.rotateApiSecret(o.id, k.id, secret, T0 + 1)).toBe(true);
      expect(await s.apiKeys.getApiKey(o.id, k.id)).toEqual({ ...k, secret_hash: secret, secret_required: 1, secret_rotated_at: T0 + 1 });
      await s.apiKeys.revokeApiKey(o.id, k.id, T0 + 2);
      expect(await s.apiKeys.rotateApiSecret(o.id, k.id, newHash(), T0 + 3)).toBe(false);
      expect((await s.apiKeys.getApiKey(o.id, k.id))?.secret_hash).toBe(secret);
    });

    it('touches last_used_at of the given keys only; an empty list is a no-op', async () => {
      const o = await org();
      const [a, b, c] = [await key(o), await key(o), await key(o)];
      await s.apiKeys.touchApiKeys([a.id, b.id], T0 + 9);
      await s.apiKeys.touchApiKeys([], T0 + 10);
      expect((await s.apiKeys.getApiKey(o.id, a.id))?.last_used_at).toBe(T0 + 9);
      expect((await s.apiKeys.getApiKey(o.id, b.id))?.last_used_at).toBe(T0 + 9);
      expect((await s.apiKeys.getApiKey(o.id, c.id))?.last_used_at).toBeNull();
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
        count: 1,
        minute: Math.floor(ts / 60_000),
        ...over,
      });
      await s.accessLogs.appendAccessLogs([entry(T0 + 1), entry(T0 + 3, { status: 401, ip: null }), entry(T0 + 2, { method: 'POST' })]);
      await s.accessLogs.appendAccessLogs([entry(T0 + 4, { key_id: k2.id }), entry(T0 + 5, { organization_id: other.id })]);
      await s.accessLogs.appendAccessLogs([]);
      const all = await s.accessLogs.listAccessLogs(o.id, k.id, 10);
      expect(all.map((e) => e.ts)).toEqual([T0 + 3, T0 + 2, T0 + 1]);
      const { id, ...newest } = all[0] as AccessLog;
      expect(typeof id).toBe('string');
      expect(newest).toEqual(entry(T0 + 3, { status: 401, ip: null }));
      expect((await s.accessLogs.listAccessLogs(o.id, k.id, 2)).map((e) => e.ts)).toEqual([T0 + 3, T0 + 2]);
      expect(await s.accessLogs.listAccessLogs(other.id, k2.id, 10)).toEqual([]);
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
        count: 1,
        minute: Math.floor(T0 / 60_000),
      });
      await s.accessLogs.appendAccessLogs(['/1', '/2', '/3'].map(at));
      await s.accessLogs.appendAccessLogs(['/4'].map(at));
      await s.accessLogs.appendAccessLogs(['/5', '/6'].map(at));
      expect((await s.accessLogs.listAccessLogs(o.id, k.id, 10)).map((e) => e.path)).toEqual(['/6', '/5', '/4', '/3', '/2', '/1']);
    });

    it('adds a later write for the same key, method, path, status and minute to that minute’s row', async () => {
      const o = await org();
      const k = await key(o);
      const minute = Math.floor(T0 / 60_000);
      const row = (ts: number, count: number, ip: string, over: Partial<Omit<AccessLog, 'id'>> = {}): Omit<AccessLog, 'id'> => ({
        key_id: k.id,
        organization_id: o.id,
        method: 'GET',
        path: '/api/v2/events',
        status: 200,
        ts,
        ip,
        count,
        minute: Math.floor(ts / 60_000),
        ...over,
      });
      const start = minute * 60_000;
      await s.accessLogs.appendAccessLogs([row(start + 10, 3, '10.0.0.1'), row(start + 11, 1, '10.0.0.1', { status: 401 })]);
      // Another batch (or process) in the same minute, then the next minute.
      await s.accessLogs.appendAccessLogs([row(start + 500, 4, '10.0.0.2')]);
      await s.accessLogs.appendAccessLogs([row(start + 60_000, 2, '10.0.0.3')]);
      const listed = await s.accessLogs.listAccessLogs(o.id, k.id, 10);
      expect(listed.map((e) => [e.ts - start, e.status, e.count, e.ip])).toEqual([
        [60_000, 200, 2, '10.0.0.3'],
        [500, 200, 7, '10.0.0.2'],
        [11, 401, 1, '10.0.0.1'],
      ]);
    });
  });
}
