// Apps: Partner API credentials (client id + secret) owned by a person, shown once at creation (and
// at each rotation, which replaces a lost or leaked secret) and checked on every Partner API call
// together with the person's platform JWT.
import type { Catalog } from '../catalog/catalog.js';
import { hashToken, randomHex, safeEqual } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { PartnerApp } from './store.js';

export const newClientId = (): string => `client_${randomHex(12)}`;
export const newClientSecret = (): string => `secret_${randomHex(24)}`;

export class AppsService {
  constructor(
    private readonly catalog: Catalog,
    private readonly now: () => number,
  ) {}

  async create(input: { userId: string; name: string }): Promise<{ app: PartnerApp; clientSecret: string }> {
    const clientSecret = newClientSecret();
    const app = await this.catalog.apps.createApp({
      userId: input.userId,
      name: requireName(input.name),
      clientId: newClientId(),
      secretHash: hashToken(clientSecret),
      now: this.now(),
    });
    return { app, clientSecret };
  }

  list(userId: string): Promise<PartnerApp[]> {
    return this.catalog.apps.listApps(userId);
  }

  /** One of the person's apps; another person's app is not found. */
  async getOwned(userId: string, appId: string): Promise<PartnerApp> {
    const app = await this.catalog.apps.getApp(appId);
    if (!app || app.user_id !== userId) throw fail('app_not_found');
    return app;
  }

  /** A new secret for one of the person's apps; the client id stays, the old secret stops working at once. */
  async rotateSecret(userId: string, appId: string): Promise<{ app: PartnerApp; clientSecret: string }> {
    const clientSecret = newClientSecret();
    if (!(await this.catalog.apps.rotateAppSecret(userId, appId, hashToken(clientSecret), this.now()))) throw fail('app_not_found');
    return { app: await this.getOwned(userId, appId), clientSecret };
  }

  async delete(userId: string, appId: string): Promise<void> {
    if (!(await this.catalog.apps.deleteApp(userId, appId, this.now()))) throw fail('app_not_found');
  }

  /** The app behind X-Delivr-Client-ID / -Secret, or null when either does not match. */
  async verify(clientId: string, clientSecret: string): Promise<PartnerApp | null> {
    const app = clientId.length <= 128 ? await this.catalog.apps.findAppByClientId(clientId) : undefined;
    // Hash even when the app is unknown so both paths take the same time.
    const presented = hashToken(clientSecret);
    if (!app) {
      safeEqual(presented, presented);
      return null;
    }
    return safeEqual(presented, app.secret_hash) ? app : null;
  }
}
