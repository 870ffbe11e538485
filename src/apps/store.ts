// Partner API apps (client id + hashed secret, owned by a person) in the catalog. Kysely, the same on
// SQLite and PostgreSQL; test/catalog/contract/apps.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import { listLive, updateLive } from '../catalog/live-rows.js';
import type { AppsTable, CatalogDb } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type PartnerApp = Selectable<AppsTable>;

export class AppsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createApp(input: { userId: string; name: string; clientId: string; secretHash: string; now: number }): Promise<PartnerApp> {
    const row: PartnerApp = {
      id: uuid(),
      user_id: input.userId,
      name: input.name,
      client_id: input.clientId,
      secret_hash: input.secretHash,
      status: 'active',
      created_at: input.now,
      updated_at: input.now,
      deleted_at: null,
    };
    await this.db.insertInto('apps').values(row).execute();
    return row;
  }

  async listApps(userId: string): Promise<PartnerApp[]> {
    return listLive(this.db, 'apps', 'user_id', userId);
  }

  async getApp(id: string): Promise<PartnerApp | undefined> {
    return this.db.selectFrom('apps').selectAll().where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
  }

  async findAppByClientId(clientId: string): Promise<PartnerApp | undefined> {
    return this.db.selectFrom('apps').selectAll().where('client_id', '=', clientId).where('status', '=', 'active').executeTakeFirst();
  }

  /** A new secret hash for the person's live app; the old secret stops matching at once. */
  async rotateAppSecret(userId: string, id: string, secretHash: string, now: number): Promise<boolean> {
    return updateLive(this.db, 'apps', ['user_id', userId], id, { secret_hash: secretHash, updated_at: now });
  }

  async deleteApp(userId: string, id: string, now: number): Promise<boolean> {
    return updateLive(this.db, 'apps', ['user_id', userId], id, { status: 'deleted', deleted_at: now, updated_at: now });
  }
}
