// Organization API keys and their access logs in the catalog, keys found by the SHA-256 of the
// presented key. Kysely, the same on SQLite and PostgreSQL; test/catalog/contract/api-keys.ts checks both.
import type { CompiledQuery, Kysely, Selectable, Updateable } from 'kysely';
import { updateLive } from '../catalog/live-rows.js';
import type { AccessLogsTable, ApiKeysTable, CatalogDb } from '../catalog/schema.js';
import { uuid, uuidv7 } from '../platform/crypto.js';
import { keysChanged } from './key-cache.js';

export type ApiKey = Selectable<ApiKeysTable>;
export type AccessLog = Selectable<AccessLogsTable>;

export type KeyWithOrganization = ApiKey & { organization_status: string; organization_secret_required: number };

export class ApiKeysStore {
  private byHash: CompiledQuery<KeyWithOrganization> | null = null;

  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createApiKey(input: {
    organizationId: string;
    clientId: string | null;
    name: string;
    keyPrefix: string;
    keyHash: string;
    secretHash: string | null;
    secretRequired: boolean;
    createdBy: string | null;
    now: number;
  }): Promise<ApiKey> {
    const row: ApiKey = {
      id: uuid(),
      organization_id: input.organizationId,
      client_id: input.clientId,
      name: input.name,
      key_prefix: input.keyPrefix,
      key_hash: input.keyHash,
      secret_hash: input.secretHash,
      secret_required: input.secretRequired ? 1 : 0,
      status: 'active',
      created_by: input.createdBy,
      created_at: input.now,
      last_used_at: null,
      revoked_at: null,
      secret_rotated_at: null,
    };
    await this.db.insertInto('api_keys').values(row).execute();
    return row;
  }

  async listApiKeys(organizationId: string, opts: { clientIds?: readonly string[] } = {}): Promise<ApiKey[]> {
    let q = this.db.selectFrom('api_keys').selectAll().where('organization_id', '=', organizationId);
    if (opts.clientIds) {
      if (opts.clientIds.length === 0) return [];
      q = q.where('client_id', 'in', opts.clientIds);
    }
    return q.orderBy('created_at').orderBy('id').execute();
  }

  async getApiKey(organizationId: string, id: string): Promise<ApiKey | undefined> {
    return this.db.selectFrom('api_keys').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
  }

  /**
   * Key lookup on every data-API request, by the SHA-256 of the presented key. The query is built
   * and compiled once per store; each call runs it with its own hash (on SQLite the statement itself
   * is prepared once too: catalog/db.ts).
   */
  async findApiKeyByHash(keyHash: string): Promise<KeyWithOrganization | undefined> {
    this.byHash ??= this.db
      .selectFrom('api_keys as k')
      .innerJoin('organizations as o', 'o.id', 'k.organization_id')
      .selectAll('k')
      .select(['o.status as organization_status', 'o.secret_required as organization_secret_required'])
      .where('k.key_hash', '=', '')
      .compile();
    const { rows } = await this.db.executeQuery<KeyWithOrganization>({ ...this.byHash, parameters: [keyHash] });
    return rows[0];
  }

  async revokeApiKey(organizationId: string, id: string, now: number): Promise<boolean> {
    return this.changeLiveKey(organizationId, id, { status: 'revoked', revoked_at: now });
  }

  async rotateApiSecret(organizationId: string, id: string, secretHash: string, now: number): Promise<boolean> {
    return this.changeLiveKey(organizationId, id, { secret_hash: secretHash, secret_required: 1, secret_rotated_at: now });
  }

  /** A change to a live key, then the key caches are told (they may hold its old state). */
  private async changeLiveKey(organizationId: string, id: string, changes: Updateable<ApiKeysTable>): Promise<boolean> {
    const changed = await updateLive(this.db, 'api_keys', ['organization_id', organizationId], id, changes);
    keysChanged();
    return changed;
  }

  async touchApiKeys(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', 'in', ids).execute();
  }
}

export class AccessLogsStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  /**
   * Adds requests to their key's rows, one per method, path, status and minute: a row of that minute
   * written by an earlier batch (or another process) gains `count` and takes the later time and
   * address. At most one entry per row in one call. Ids are UUIDv7, so rows with the same `ts`
   * still list in the order they were first written.
   */
  async appendAccessLogs(entries: readonly Omit<AccessLog, 'id'>[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto('access_logs')
      .values(entries.map((e) => ({ ...e, id: uuidv7() })))
      .onConflict((oc) =>
        oc.columns(['key_id', 'minute', 'method', 'path', 'status', 'organization_id']).doUpdateSet((eb) => ({
          count: eb('access_logs.count', '+', eb.ref('excluded.count')),
          ts: eb.ref('excluded.ts'),
          ip: eb.ref('excluded.ip'),
        })),
      )
      .execute();
  }

  async listAccessLogs(organizationId: string, keyId: string, limit: number): Promise<AccessLog[]> {
    return this.db
      .selectFrom('access_logs')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('key_id', '=', keyId)
      .orderBy('ts', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  }
}
