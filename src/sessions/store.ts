// Dashboard sessions in the catalog, found by the SHA-256 of their cookie token. Kysely, the same on
// SQLite and PostgreSQL; test/catalog/contract/sessions.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb, SessionsTable } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type Session = Selectable<SessionsTable>;

export class SessionsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createSession(input: {
    userId: string;
    tokenHash: string;
    now: number;
    expiresAt: number;
    /** The user's credentials version as the sign-in saw it. */
    credentialsVersion?: number;
  }): Promise<Session> {
    const row: Session = {
      id: uuid(),
      token_hash: input.tokenHash,
      user_id: input.userId,
      created_at: input.now,
      expires_at: input.expiresAt,
      revoked_at: null,
      credentials_version: input.credentialsVersion ?? 0,
    };
    await this.db.insertInto('sessions').values(row).execute();
    return row;
  }

  async findLiveSession(tokenHash: string, now: number): Promise<Session | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  async revokeSession(id: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).execute();
  }

  async revokeUserSessions(userId: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  }
}
