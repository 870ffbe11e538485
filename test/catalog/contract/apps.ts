// Catalog contract, apps: run on every catalog backend by test/catalog/contract.ts.
import { describe, expect, it } from 'vitest';
import { type ContractContext, newHash, T0, tag } from './context.js';

export function appsContract(c: ContractContext): void {
  const { s, user } = c;

  describe('apps', () => {
    it('creates, lists per user, finds by id and client id, deletes once and only its owner', async () => {
      const [u, other] = [await user(), await user()];
      const clientId = `client_${tag()}${tag()}`;
      const a = await s.apps.createApp({ userId: u.id, name: 'one', clientId, secretHash: newHash(), now: T0 + 1 });
      const b = await s.apps.createApp({
        userId: u.id,
        name: 'two',
        clientId: `client_${tag()}${tag()}`,
        secretHash: newHash(),
        now: T0 + 2,
      });
      await s.apps.createApp({ userId: other.id, name: 'theirs', clientId: `client_${tag()}${tag()}`, secretHash: newHash(), now: T0 });
      expect(a).toMatchObject({ status: 'active', deleted_at: null, created_at: T0 + 1, updated_at: T0 + 1 });
      expect(await s.apps.getApp(a.id)).toEqual(a);
      expect(await s.apps.findAppByClientId(clientId)).toEqual(a);
      expect(await s.apps.findAppByClientId(`client_${tag()}`)).toBeUndefined();
      expect((await s.apps.listApps(u.id)).map((x) => x.id)).toEqual([a.id, b.id]);

      expect(await s.apps.deleteApp(other.id, a.id, T0 + 3)).toBe(false);
      expect(await s.apps.deleteApp(u.id, a.id, T0 + 3)).toBe(true);
      expect(await s.apps.deleteApp(u.id, a.id, T0 + 4)).toBe(false);
      expect(await s.apps.getApp(a.id)).toBeUndefined();
      expect(await s.apps.findAppByClientId(clientId)).toBeUndefined();
      expect((await s.apps.listApps(u.id)).map((x) => x.id)).toEqual([b.id]);
    });

    it("rotates a live app's secret for its owner only; a deleted app keeps none", async () => {
      const [u, other] = [await user(), await user()];
      const a = await s.apps.createApp({ userId: u.id, name: 'one', clientId: `client_${tag()}${tag()}`, secretHash: newHash(), now: T0 });
      const next = newHash();
      expect(await s.apps.rotateAppSecret(other.id, a.id, next, T0 + 1)).toBe(false);
      expect(await s.apps.getApp(a.id)).toEqual(a);
      expect(await s.apps.rotateAppSecret(u.id, a.id, next, T0 + 2)).toBe(true);
      expect(await s.apps.getApp(a.id)).toEqual({ ...a, secret_hash: next, updated_at: T0 + 2 });
      await s.apps.deleteApp(u.id, a.id, T0 + 3);
      expect(await s.apps.rotateAppSecret(u.id, a.id, newHash(), T0 + 4)).toBe(false);
    });

    it('refuses two apps with the same client id', async () => {
      const u = await user();
      const clientId = `client_${tag()}${tag()}`;
      await s.apps.createApp({ userId: u.id, name: 'one', clientId, secretHash: newHash(), now: T0 });
      await expect(s.apps.createApp({ userId: u.id, name: 'two', clientId, secretHash: newHash(), now: T0 })).rejects.toThrow();
    });
  });
}
