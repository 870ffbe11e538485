// People's accounts in the catalog: users and their password-reset tokens. Kysely, the same on
// SQLite and PostgreSQL; test/catalog/contract/accounts.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb, UsersTable } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type User = Selectable<UsersTable>;

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

  /** Consumes a reset token once; returns its user id, or undefined when unknown, used or expired. */
  async consumePasswordReset(tokenHash: string, now: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('password_resets')
      .select(['id', 'user_id'])
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    const r = await this.db
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? row.user_id : undefined;
  }
}
