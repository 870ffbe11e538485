// Catalog contract, users and password resets: run on every catalog backend by test/catalog/contract.ts.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ContractContext, HOUR, newEmail, newHash, T0 } from './context.js';

export function accountsContract(c: ContractContext): void {
  const { s, user } = c;

  describe('users', () => {
    it('round-trips a user, with nulls for the optional fields', async () => {
      const email = newEmail();
      const u = await s.users.createUser({ email, status: 'invited', now: T0 });
      expect(u).toMatchObject({ email, first_name: null, last_name: null, password_hash: null, status: 'invited' });
      expect(await s.users.getUser(u.id)).toEqual(u);
      expect(await s.users.findUserByEmail(email)).toEqual(u);
      expect(await s.users.getUser(randomUUID())).toBeUndefined();
      expect(await s.users.findUserByEmail(newEmail())).toBeUndefined();
    });

    it('finds by exact (already normalised) email only, the same on every engine', async () => {
      const email = newEmail();
      await s.users.createUser({ email, status: 'active', now: T0 });
      expect(await s.users.findUserByEmail(email.toUpperCase())).toBeUndefined();
    });

    it('updates only the fields given, and updated_at', async () => {
      const u = await s.users.createUser({
        email: newEmail(),
        firstName: 'Ann',
        lastName: 'Lee',
        passwordHash: 'h1',
        status: 'invited',
        now: T0,
      });
      await s.users.updateUser(u.id, { password_hash: 'h2', status: 'active' }, T0 + 5);
      expect(await s.users.getUser(u.id)).toEqual({ ...u, password_hash: 'h2', status: 'active', updated_at: T0 + 5 });
      await s.users.updateUser(u.id, { first_name: null }, T0 + 6);
      expect(await s.users.getUser(u.id)).toMatchObject({ first_name: null, last_name: 'Lee', password_hash: 'h2', updated_at: T0 + 6 });
    });

    it('starts at credentials version 0 and bumps it by one, for that user only', async () => {
      const [u, other] = [await user(), await user()];
      expect(u.credentials_version).toBe(0);
      await s.users.bumpCredentialsVersion(u.id, T0 + 7);
      await s.users.bumpCredentialsVersion(u.id, T0 + 8);
      expect(await s.users.getUser(u.id)).toEqual({ ...u, credentials_version: 2, updated_at: T0 + 8 });
      expect((await s.users.getUser(other.id))?.credentials_version).toBe(0);
    });

    it('refuses a second user with the same email and keeps the first', async () => {
      const email = newEmail();
      const first = await s.users.createUser({ email, firstName: 'First', status: 'active', now: T0 });
      await expect(s.users.createUser({ email, firstName: 'Second', status: 'active', now: T0 + 1 })).rejects.toThrow();
      expect(await s.users.findUserByEmail(email)).toEqual(first);
    });
  });

  describe('password resets', () => {
    it('are used once, even when two requests race', async () => {
      const u = await user();
      const tokenHash = newHash();
      await s.passwordResets.createPasswordReset({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR });
      const results = await Promise.all([
        s.passwordResets.consumePasswordReset(tokenHash, T0 + 1),
        s.passwordResets.consumePasswordReset(tokenHash, T0 + 1),
      ]);
      expect(results.filter((r) => r !== undefined)).toEqual([u.id]);
      expect(await s.passwordResets.consumePasswordReset(tokenHash, T0 + 2)).toBeUndefined();
    });

    it('are found while open, without being used up; closing them all ends every open link of that user only', async () => {
      const [u, other] = [await user(), await user()];
      const [first, second, theirs] = [newHash(), newHash(), newHash()];
      for (const [userId, tokenHash] of [
        [u.id, first],
        [u.id, second],
        [other.id, theirs],
      ] as const) {
        await s.passwordResets.createPasswordReset({ userId, tokenHash, now: T0, expiresAt: T0 + HOUR });
      }
      expect(await s.passwordResets.findOpenPasswordReset(first, T0 + 1)).toBe(u.id);
      expect(await s.passwordResets.findOpenPasswordReset(first, T0 + 1)).toBe(u.id);
      expect(await s.passwordResets.findOpenPasswordReset(first, T0 + HOUR)).toBeUndefined();
      await s.passwordResets.closeUserPasswordResets(u.id, T0 + 2);
      expect(await s.passwordResets.findOpenPasswordReset(second, T0 + 3)).toBeUndefined();
      expect(await s.passwordResets.consumePasswordReset(first, T0 + 3)).toBeUndefined();
      expect(await s.passwordResets.consumePasswordReset(theirs, T0 + 3)).toBe(other.id);
    });

    it('are refused once expired or unknown', async () => {
      const u = await user();
      const tokenHash = newHash();
      await s.passwordResets.createPasswordReset({ userId: u.id, tokenHash, now: T0, expiresAt: T0 + HOUR });
      expect(await s.passwordResets.consumePasswordReset(tokenHash, T0 + HOUR)).toBeUndefined();
      expect(await s.passwordResets.consumePasswordReset(newHash(), T0)).toBeUndefined();
    });
  });

  describe('sign-up requests', () => {
    const request = (tokenHash: string, email = newEmail()) =>
      s.signupRequests.createSignupRequest({
        email,
        token_hash: tokenHash,
        password_hash: 'scrypt$hash',
        first_name: 'Ann',
        last_name: 'Lee',
        organization_name: 'Acme',
        created_at: T0,
        expires_at: T0 + HOUR,
      });

    it('are consumed once, even when two requests race, and give back what was asked for', async () => {
      const tokenHash = newHash();
      const made = await request(tokenHash);
      const results = await Promise.all([
        s.signupRequests.consumeSignupRequest(tokenHash, T0 + 1),
        s.signupRequests.consumeSignupRequest(tokenHash, T0 + 1),
      ]);
      expect(results.filter((r) => r !== undefined)).toEqual([{ ...made, used_at: T0 + 1 }]);
      expect(await s.signupRequests.consumeSignupRequest(tokenHash, T0 + 2)).toBeUndefined();
    });

    it('are refused once expired or unknown; the same email may ask twice', async () => {
      const email = newEmail();
      const [late, again] = [newHash(), newHash()];
      await request(late, email);
      await request(again, email);
      expect(await s.signupRequests.consumeSignupRequest(late, T0 + HOUR)).toBeUndefined();
      expect(await s.signupRequests.consumeSignupRequest(newHash(), T0)).toBeUndefined();
      expect(await s.signupRequests.consumeSignupRequest(again, T0 + 1)).toMatchObject({ email });
    });
  });
}
