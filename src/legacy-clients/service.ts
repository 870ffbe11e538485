// Legacy API clients (/client/v1): a named client holding one key + secret, created and deleted by a
// person with a data-API JWT. Kept wire-compatible while Delivr phases them out.
import type { ApiKeysService, CreatedKey } from '../api-keys/service.js';
import type { ApiKey } from '../api-keys/store.js';
import type { Catalog } from '../catalog/catalog.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { ApiClient } from './store.js';

export class LegacyClientsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly apiKeys: ApiKeysService,
    private readonly now: () => number,
  ) {}

  async create(input: { organizationId: string; name: string; createdBy: string }): Promise<{ client: ApiClient; created: CreatedKey }> {
    const name = requireName(input.name);
    return this.catalog.transaction(async (tx) => {
      const client = await tx.apiClients.createApiClient({ ...input, name, now: this.now() });
      const created = await this.apiKeys.createKey(
        { organizationId: input.organizationId, name, createdBy: input.createdBy, clientId: client.id },
        tx,
      );
      return { client, created };
    });
  }

  async list(organizationId: string): Promise<{ client: ApiClient; keys: ApiKey[] }[]> {
    const clients = await this.catalog.apiClients.listApiClients(organizationId);
    const keys = await this.catalog.apiKeys.listApiKeys(organizationId, { clientIds: clients.map((c) => c.id) });
    return clients.map((client) => ({ client, keys: keys.filter((k) => k.client_id === client.id) }));
  }

  /** Deletes the client; its key stops working at once. */
  async delete(organizationId: string, clientId: string): Promise<void> {
    if (!(await this.catalog.apiClients.deleteApiClient(organizationId, clientId, this.now()))) throw fail('client_not_found');
  }
}
