// Organization API keys: creation (key + secret shown once), revocation, secret rotation, the
// access log, and verification on every data-API request. Keys and secrets are random and stored as
// SHA-256 hashes, compared in constant time.
import type { Catalog } from '../catalog/catalog.js';
import { hashToken, randomHex, safeEqual } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { AccessLogBuffer } from './access-log.js';
import { KeyCache } from './key-cache.js';
import type { AccessLog, ApiKey, KeyWithOrganization } from './store.js';

export const KEY_PREFIX_LENGTH = 12; // "dlvr_" + 7 hex, as the seed's "dlvr_74ce9b3..."

export const newApiKey = (): string => `dlvr_${randomHex(24)}`;
export const newApiSecret = (): string => randomHex(32);

export const displayPrefix = (key: Pick<ApiKey, 'key_prefix'>): string => `${key.key_prefix}...`;

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

export class ApiKeysService {
  /** Rows of keys verified in the last moments (key-cache.ts: revocation still applies at once). */
  private readonly keys = new KeyCache<KeyWithOrganization>();

  constructor(
    private readonly catalog: Catalog,
    readonly accessLog: AccessLogBuffer,
    private readonly now: () => number,
  ) {}

  /** A key + secret; inside the caller's transaction when one is given (a legacy client's key). */
  async createKey(
    input: { organizationId: string; name: string; createdBy: string | null; clientId?: string | null },
    tx: Catalog = this.catalog,
  ): Promise<CreatedKey> {
    const apiKey = newApiKey();
    const apiSecret = newApiSecret();
    const key = await tx.apiKeys.createApiKey({
      organizationId: input.organizationId,
      clientId: input.clientId ?? null,
      name: requireName(input.name),
      keyPrefix: apiKey.slice(0, KEY_PREFIX_LENGTH),
      keyHash: hashToken(apiKey),
      secretHash: hashToken(apiSecret),
      secretRequired: true,
      createdBy: input.createdBy,
      now: this.now(),
    });
    return { key, apiKey, apiSecret };
  }

  /** Legacy (pre-secret) key: works with X-Api-Key alone. Kept for migrations and tests of that path. */
  async createLegacyKey(input: { organizationId: string; name: string }): Promise<{ key: ApiKey; apiKey: string }> {
    const apiKey = newApiKey();
    const key = await this.catalog.apiKeys.createApiKey({
      organizationId: input.organizationId,
      clientId: null,
      name: requireName(input.name),
      keyPrefix: apiKey.slice(0, KEY_PREFIX_LENGTH),
      keyHash: hashToken(apiKey),
      secretHash: null,
      secretRequired: false,
      createdBy: null,
      now: this.now(),
    });
    return { key, apiKey };
  }

  /** The organization's own keys (not legacy clients'), with last use as of now. */
  async list(organizationId: string): Promise<ApiKey[]> {
    await this.accessLog.flush();
    const keys = await this.catalog.apiKeys.listApiKeys(organizationId);
    return keys.filter((k) => k.client_id === null);
  }

  async get(organizationId: string, keyId: string): Promise<ApiKey> {
    const key = await this.catalog.apiKeys.getApiKey(organizationId, keyId);
    if (!key) throw fail('key_not_found');
    return key;
  }

  async revoke(organizationId: string, keyId: string): Promise<ApiKey> {
    if (!(await this.catalog.apiKeys.revokeApiKey(organizationId, keyId, this.now()))) {
      await this.get(organizationId, keyId);
      throw fail('key_revoked');
    }
    return this.get(organizationId, keyId);
  }

  /** New secret for the same key; the old secret stops working at once. */
  async rotateSecret(organizationId: string, keyId: string): Promise<{ key: ApiKey; apiSecret: string }> {
    const apiSecret = newApiSecret();
    if (!(await this.catalog.apiKeys.rotateApiSecret(organizationId, keyId, hashToken(apiSecret), this.now()))) {
      await this.get(organizationId, keyId);
      throw fail('key_revoked');
    }
    return { key: await this.get(organizationId, keyId), apiSecret };
  }

  /** The newest access-log entries of one key, including requests still buffered. */
  async accessLogEntries(organizationId: string, keyId: string, limit: number): Promise<AccessLog[]> {
    await this.get(organizationId, keyId);
    await this.accessLog.flush();
    return this.catalog.accessLogs.listAccessLogs(organizationId, keyId, limit);
  }

  /**
   * The seed's rules, in order: unknown or revoked key → "Invalid API key"; a secret that does not
   * match → "Invalid API secret"; no secret on a key that has one, in an organization that requires
   * it (secret_required, on by default: seed v2) → "API secret is required". An organization that
   * turned secret_required off accepts its keys alone (seed v1's X-Api-Key-only calls).
   */
  async verify(apiKey: string, apiSecret: string | undefined): Promise<KeyVerification> {
    const keyHash = apiKey.startsWith('dlvr_') && apiKey.length <= 128 ? hashToken(apiKey) : null;
    const key = keyHash === null ? undefined : await this.keys.get(keyHash, () => this.catalog.apiKeys.findApiKeyByHash(keyHash));
    if (!key || key.status !== 'active' || key.organization_status !== 'active') return { ok: false, code: 'invalid_api_key' };
    if (apiSecret !== undefined && apiSecret !== '') {
      if (!key.secret_hash || !safeEqual(hashToken(apiSecret), key.secret_hash)) return { ok: false, code: 'invalid_api_secret', key };
    } else if (key.secret_required && key.organization_secret_required) {
      return { ok: false, code: 'api_secret_required', key };
    }
    return { ok: true, key };
  }
}
