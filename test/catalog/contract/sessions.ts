// Catalog contract, dashboard sessions: run on every catalog backend by test/catalog/contract.ts.
import { describe, expect, it } from 'vitest';
import { type ContractContext, HOUR, newHash, T0 } from './context.js';

export function sessionsContract(c: ContractContext): void {
  const { s, user } = c;

  describe('sessions', () => {
    it('finds a live session until it expires', async () => {
      const u = await user();
      const tokenHash = newHash();
      const session = await s.sessions.createSession({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR });
      expect(session).toMatchObject({
        user_id: u.id,
        token_hash: tokenHash,
        revoked_at: null,
        expires_at: T0 + HOUR,
        credentials_version: 0,
      });
      expect(await s.sessions.findLiveSession(tokenHash, T0 + HOUR - 1)).toEqual(session);
      expect(await s.sessions.findLiveSession(tokenHash, T0 + HOUR)).toBeUndefined();
      expect(await s.sessions.findLiveSession(newHash(), T0)).toBeUndefined();
    });

    it("keeps the user's credentials version the session began under", async () => {
      const u = await user();
      const tokenHash = newHash();
      await s.sessions.createSession({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR, credentialsVersion: 3 });
      expect(await s.sessions.findLiveSession(tokenHash, T0)).toMatchObject({ credentials_version: 3 });
    });

    it('revokes one session, or every session of one user and no one else', async () => {
      const [u, other] = [await user(), await user()];
      const mk = (userId: string) => {
        const tokenHash = newHash();
        return s.sessions.createSession({ userId, tokenHash, now: T0, expiresAt: T0 + HOUR }).then(() => tokenHash);
      };
      const [a, b, c, theirs] = [await mk(u.id), await mk(u.id), await mk(u.id), await mk(other.id)];
      const sa = await s.sessions.findLiveSession(a, T0);
      await s.sessions.revokeSession(sa?.id ?? '', T0 + 1);
      expect(await s.sessions.findLiveSession(a, T0 + 2)).toBeUndefined();
      expect(await s.sessions.findLiveSession(b, T0 + 2)).toBeDefined();
      await s.sessions.revokeUserSessions(u.id, T0 + 3);
      expect(await s.sessions.findLiveSession(b, T0 + 4)).toBeUndefined();
      expect(await s.sessions.findLiveSession(c, T0 + 4)).toBeUndefined();
      expect(await s.sessions.findLiveSession(theirs, T0 + 4)).toBeDefined();
    });
  });
}
