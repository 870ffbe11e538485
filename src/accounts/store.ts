// People's accounts in the catalog: users, their password-reset tokens, and sign-ups waiting for
// their emailed confirmation. Kysely, the same on SQLite and PostgreSQL;
// test/catalog/contract/accounts.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb, UsersTable } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';
import type { SignupRequestsTable } from './tables.js';

export type User = Selectable<UsersTable>;
export type SignupRequest = Selectable<SignupRequestsTable>;

export class UsersStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createUser(input: {
    email: string;
    firstName?: string | null;
    lastName?: string | null;
    passwordHash?: string | null;
    status: User['status'];
    now: number;
  }): Promise<User> {
    const row: User = {
      id: uuid(),
      email: input.email,
      first_name: input.firstName ?? null,
      last_name: input.lastName ?? null,
      password_hash: input.passwordHash ?? null,
      status: input.status,
      created_at: input.now,
      updated_at: input.now,
      credentials_version: 0,
    };
    await this.db.insertInto('users').values(row).execute();
    return row;
  }

  async getUser(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** `email` must already be normalised (see identity/email.ts). */
  async findUserByEmail(email: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  async updateUser(
    id: string,
    patch: Partial<Pick<User, 'first_name' | 'last_name' | 'password_hash' | 'status'>>,
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ ...patch, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  /** Every JWT and session issued before this carries an older version and is refused from now on. */
  async bumpCredentialsVersion(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set((eb) => ({ credentials_version: eb('credentials_version', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .execute();
  }
}

export class PasswordResetsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createPasswordReset(input: { userId: string; tokenHash: string; now: number; expiresAt: number }): Promise<void> {
    await this.db
      .insertInto('password_resets')
      .values({
        id: uuid(),
        user_id: input.userId,
        token_hash: input.tokenHash,
        created_at: input.now,
        expires_at: input.expiresAt,
        used_at: null,
      })
      .execute();
  }

  /** The user of a reset token still usable at `now` (not consumed: see consumePasswordReset). */
  async findOpenPasswordReset(tokenHash: string, now: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('password_resets')
      .select('user_id')
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return row?.user_id;
  }

  /** Ends every reset link of the user still open (after a reset, only the one used was consumed). */
  async closeUserPasswordResets(userId: string, now: number): Promise<void> {
    await this.db.updateTable('password_resets').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  }

  /** Consumes a reset token once; returns its user id, or undefined when unknown, used or expired. */
  async consumePasswordReset(tokenHash: string, now: number): Promise<string | undefined> {
    return (await consumeToken(this.db, 'password_resets', tokenHash, now))?.user_id;
  }
}

export class SignupRequestsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createSignupRequest(input: Omit<SignupRequest, 'id' | 'used_at'>): Promise<SignupRequest> {
    const row: SignupRequest = { id: uuid(), ...input, used_at: null };
    await this.db.insertInto('signup_requests').values(row).execute();
    return row;
  }

  /** Consumes a confirmation token once; the request, or undefined when unknown, used or expired. */
  async consumeSignupRequest(tokenHash: string, now: number): Promise<SignupRequest | undefined> {
    return consumeToken(this.db, 'signup_requests', tokenHash, now);
  }
}

/**
 * Consumes an emailed one-time token (a password reset, a sign-up confirmation) once: its row as
 * consumed, or undefined when the token is unknown, used or expired. Of two concurrent calls only
 * one marks it used. Written once over both tables (Kysely types a union of tables as one row with
 * both tables' columns); the overload gives each caller its own row type.
 */
async function consumeToken<T extends 'password_resets' | 'signup_requests'>(
  db: Kysely<CatalogDb>,
  table: T,
  tokenHash: string,
  now: number,
): Promise<Selectable<CatalogDb[T]> | undefined>;
async function consumeToken(db: Kysely<CatalogDb>, table: 'password_resets' | 'signup_requests', tokenHash: string, now: number) {
  const row = await db
    .selectFrom(table)
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (!row) return undefined;
  const r = await db.updateTable(table).set({ used_at: now }).where('id', '=', row.id).where('used_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0 ? { ...row, used_at: now } : undefined;
}
