// Organization API keys (dashboard keys and legacy /client/v1 clients), their verification on every
// data-API request, and Partner API apps. Keys and secrets are random and stored as SHA-256 hashes;
// the plaintext is returned once, at creation or rotation.
import type { ApiClient, ApiKey, App, CatalogStore } from '../catalog/store.js';
import { hashToken, randomHex, safeEqual } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';

export const KEY_PREFIX_LENGTH = 12; // "dlvr_" + 7 hex, as the seed's "dlvr_74ce9b3..."

export const newApiKey = (): string => `dlvr_${randomHex(24)}`;
export const newApiSecret = (): string => randomHex(32);
export const newClientId = (): string => `client_${randomHex(12)}`;
export const newClientSecret = (): string => `secret_${randomHex(24)}`;

export const displayPrefix = (key: ApiKey): string => `${key.key_prefix}...`;

export interface CreatedKey {
  key: ApiKey;
  apiKey: string;
  apiSecret: string;
}

export type KeyVerification =
  | { ok: true; key: ApiKey }
  | { ok: false; code: 'invalid_api_key' }
  /** The key exists, so the failed attempt is written to its access log. */
  | { ok: false; code: 'invalid_api_secret' | 'api_secret_required'; key: ApiKey };

export class CredentialsService {
  constructor(
    private readonly store: CatalogStore,
    private readonly now: () => number,
  ) {}

  async createKey(input: {
    organizationId: string;
    name: string;
    createdBy: string | null;
    clientId?: string | null;
    secretRequired?: boolean;
  }): Promise<CreatedKey> {
    const apiKey = newApiKey();
    const apiSecret = newApiSecret();
    const key = await this.store.createApiKey({
      organizationId: input.organizationId,
      clientId: input.clientId ?? null,
      name: input.name,
      keyPrefix: apiKey.slice(0, KEY_PREFIX_LENGTH),
      keyHash: hashToken(apiKey),
      secretHash: hashToken(apiSecret),
      secretRequired: input.secretRequired ?? true,
      createdBy: input.createdBy,
      now: this.now(),
    });
    return { key, apiKey, apiSecret };
  }

  /** Legacy (pre-secret) key: works with X-Api-Key alone. Kept for migrations and tests of that path. */
  async createLegacyKey(input: { organizationId: string; name: string }): Promise<{ key: ApiKey; apiKey: string }> {
    const apiKey = newApiKey();
    const key = await this.store.createApiKey({
      organizationId: input.organizationId,
      clientId: null,
      name: input.name,
      keyPrefix: apiKey.slice(0, KEY_PREFIX_LENGTH),
      keyHash: hashToken(apiKey),
      secretHash: null,
      secretRequired: false,
      createdBy: null,
      now: this.now(),
    });
    return { key, apiKey };
  }

  async revokeKey(organizationId: string, keyId: string): Promise<void> {
    if (!(await this.store.revokeApiKey(organizationId, keyId, this.now()))) {
      const key = await this.store.getApiKey(organizationId, keyId);
      throw fail(key ? 'key_revoked' : 'key_not_found');
    }
  }

  /** New secret for the same key; the old secret stops working at once. */
  async rotateSecret(organizationId: string, keyId: string): Promise<{ key: ApiKey; apiSecret: string }> {
    const apiSecret = newApiSecret();
    if (!(await this.store.rotateApiSecret(organizationId, keyId, hashToken(apiSecret), this.now()))) {
      const key = await this.store.getApiKey(organizationId, keyId);
      throw fail(key ? 'key_revoked' : 'key_not_found');
    }
    const key = await this.store.getApiKey(organizationId, keyId);
    if (!key) throw fail('key_not_found');
    return { key, apiSecret };
  }

  /**
   * The seed's rules, in order: unknown or revoked key → "Invalid API key"; a secret that does not
   * match → "Invalid API secret"; no secret on a key that requires one → "API secret is required".
   */
  async verify(apiKey: string, apiSecret: string | undefined): Promise<KeyVerification> {
    const key = apiKey.startsWith('dlvr_') && apiKey.length <= 128 ? await this.store.findApiKeyByHash(hashToken(apiKey)) : undefined;
    if (!key || key.status !== 'active' || key.organization_status !== 'active') return { ok: false, code: 'invalid_api_key' };
    if (apiSecret !== undefined && apiSecret !== '') {
      if (!key.secret_hash || !safeEqual(hashToken(apiSecret), key.secret_hash)) return { ok: false, code: 'invalid_api_secret', key };
    } else if (key.secret_required) {
      return { ok: false, code: 'api_secret_required', key };
    }
    return { ok: true, key };
  }

  // Legacy API clients (/client/v1): a named client holding one key + secret.

  async createClient(input: { organizationId: string; name: string; createdBy: string }): Promise<{
    client: ApiClient;
    created: CreatedKey;
  }> {
    return this.store.transaction(async (tx) => {
      const client = await tx.createApiClient({ ...input, now: this.now() });
      const created = await new CredentialsService(tx, this.now).createKey({
        organizationId: input.organizationId,
        name: input.name,
        createdBy: input.createdBy,
        clientId: client.id,
      });
      return { client, created };
    });
  }

  async listClients(organizationId: string): Promise<{ client: ApiClient; keys: ApiKey[] }[]> {
    const clients = await this.store.listApiClients(organizationId);
    const keys = await this.store.listApiKeys(organizationId, { clientIds: clients.map((c) => c.id) });
    return clients.map((client) => ({ client, keys: keys.filter((k) => k.client_id === client.id) }));
  }

  async deleteClient(organizationId: string, clientId: string): Promise<void> {
    if (!(await this.store.deleteApiClient(organizationId, clientId, this.now()))) throw fail('client_not_found');
  }

  // Apps (Partner API credentials, owned by a user)

  async createApp(input: { userId: string; name: string }): Promise<{ app: App; clientSecret: string }> {
    const clientSecret = newClientSecret();
    const app = await this.store.createApp({
      userId: input.userId,
      name: input.name,
      clientId: newClientId(),
      secretHash: hashToken(clientSecret),
      now: this.now(),
    });
    return { app, clientSecret };
  }

  async deleteApp(userId: string, appId: string): Promise<void> {
    if (!(await this.store.deleteApp(userId, appId, this.now()))) throw fail('app_not_found');
  }

  /** The app behind X-Delivr-Client-ID / -Secret, or null when either does not match. */
  async verifyApp(clientId: string, clientSecret: string): Promise<App | null> {
    const app = clientId.length <= 128 ? await this.store.findAppByClientId(clientId) : undefined;
    // Hash even when the app is unknown so both paths take the same time.
    const presented = hashToken(clientSecret);
    if (!app) {
      safeEqual(presented, presented);
      return null;
    }
    return safeEqual(presented, app.secret_hash) ? app : null;
  }
}
