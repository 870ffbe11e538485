// Legacy API clients (/client/v1) in the catalog: a named client whose key lives in api_keys.
// Kysely, the same on SQLite and PostgreSQL; test/catalog/contract/api-keys.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import { keysChanged } from '../api-keys/key-cache.js';
import { listLive, updateLive } from '../catalog/live-rows.js';
import type { ApiClientsTable, CatalogDb } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type ApiClient = Selectable<ApiClientsTable>;

export class ApiClientsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createApiClient(input: { organizationId: string; name: string; createdBy: string | null; now: number }): Promise<ApiClient> {
    const row: ApiClient = {
      id: uuid(),
      organization_id: input.organizationId,
      name: input.name,
      status: 'active',
      created_by: input.createdBy,
      created_at: input.now,
      deleted_at: null,
    };
    await this.db.insertInto('api_clients').values(row).execute();
    return row;
  }

  async listApiClients(organizationId: string): Promise<ApiClient[]> {
    return listLive(this.db, 'api_clients', 'organization_id', organizationId);
  }

  /** Deletes a client and revokes its keys at once; false when not this organization's. */
  async deleteApiClient(organizationId: string, clientId: string, now: number): Promise<boolean> {
    const deleted = await updateLive(this.db, 'api_clients', ['organization_id', organizationId], clientId, {
      status: 'deleted',
      deleted_at: now,
    });
    if (!deleted) return false;
    await this.db
      .updateTable('api_keys')
      .set({ status: 'revoked', revoked_at: now })
      .where('client_id', '=', clientId)
      .where('status', '=', 'active')
      .execute();
    keysChanged();
    return true;
  }
}
