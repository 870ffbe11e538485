// Accounts: self-service registration, sign-in with throttling, password reset, and the user
// lookups the guards need. Returns values or throws catalogued ApiErrors; the HTTP edge maps them.
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import { isEmailLike, normalizeEmail } from '../identity/email.js';
import { type Mailer, passwordResetMessage } from '../mail/mailer.js';
import type { OrganizationsService } from '../organizations/service.js';
import type { Organization, UserOrganization } from '../organizations/store.js';
import type { Config } from '../platform/config.js';
import { hashPassword, hashToken, randomToken, verifyPassword } from '../platform/crypto.js';
import { ApiError, fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import { PASSWORD_MAX_LENGTH, type RegisterInput } from './schemas.js';
import type { User } from './store.js';
import type { LoginThrottle } from './throttle.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = PASSWORD_MAX_LENGTH;
const RESET_TTL_MS = 3_600_000;

export function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    throw fail('invalid_parameters', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
  }
}

/** A normalised email, or a 400 when it does not look like one. */
export function checkEmail(raw: string): string {
  const email = normalizeEmail(raw);
  if (!isEmailLike(email)) throw fail('invalid_parameters', 'email is not a valid email address');
  return email;
}

export interface AccountsDeps {
  catalog: Catalog;
  organizations: OrganizationsService;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'signupMode' | 'hideUnknownUsers'>;
  throttle: LoginThrottle;
  log: Logger;
  now: () => number;
}

export class AccountsService {
  constructor(private readonly d: AccountsDeps) {}

  /** An active user by id (the guards' check behind every token and session). */
  async activeUser(id: string): Promise<User | undefined> {
    const user = await this.d.catalog.users.getUser(id);
    return user?.status === 'active' ? user : undefined;
  }

  /** Self-service sign-up: allowed when SIGNUP_MODE=open, or for the very first user of a fresh install. */
  async signupOpen(catalog: Catalog = this.d.catalog): Promise<boolean> {
    return this.d.config.signupMode === 'open' || (await catalog.organizations.countOrganizations()) === 0;
  }

  /** Takes the sign-up body as both surfaces (data API and dashboard) receive it. */
  async register(input: RegisterInput): Promise<{ user: User; organization: Organization }> {
    const email = checkEmail(input.email);
    checkPassword(input.password);
    const firstName = requireName(input.first_name, 'first_name');
    const lastName = requireName(input.last_name, 'last_name');
    const orgName = requireName(input.organization_name, 'organization_name');
    if (!(await this.signupOpen())) throw fail('signup_closed');
    if (await this.d.catalog.users.findUserByEmail(email)) throw fail('email_taken');
    const passwordHash = await hashPassword(input.password);
    const now = this.d.now();
    try {
      return await this.d.catalog.transaction(async (tx) => {
        // Checked again inside the transaction, behind a lock: two sign-ups racing on a fresh install,
        // even through two processes, must not both become "the first user".
        await tx.serializeOn('first_signup');
        if (!(await this.signupOpen(tx))) throw fail('signup_closed');
        const user = await tx.users.createUser({ email, firstName, lastName, passwordHash, status: 'active', now });
        const { organization } = await this.d.organizations.createIn(tx, { name: orgName, ownerUserId: user.id });
        return { user, organization };
      });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // Two sign-ups with one email racing: the unique index decides.
      if (await this.d.catalog.users.findUserByEmail(email)) throw fail('email_taken');
      throw err;
    }
  }

  /**
   * Password check with throttling per account and per client IP. Unknown email answers the
   * documented 404 "User not found." unless LOGIN_HIDE_UNKNOWN_USERS is set.
   */
  async login(input: { email: string; password: string; ip: string }): Promise<{ user: User; organizations: UserOrganization[] }> {
    const email = normalizeEmail(input.email);
    await this.d.throttle.assertOpen(email, input.ip);
    const user = await this.d.catalog.users.findUserByEmail(email);
    const ok = await verifyPassword(input.password, user?.password_hash ?? null);
    if (!user || !ok || user.status !== 'active') {
      await this.d.throttle.recordFailure({ ip: input.ip, ...(user ? { email } : {}) });
      if (!user) throw fail(this.d.config.hideUnknownUsers ? 'invalid_credentials' : 'user_not_found');
      throw fail('invalid_credentials');
    }
    await this.d.throttle.reset(email);
    return { user, organizations: await this.d.organizations.listForUser(user.id) };
  }

  /** Always succeeds from the caller's view, so it does not reveal which emails exist. */
  async requestPasswordReset(rawEmail: string): Promise<void> {
    const user = await this.d.catalog.users.findUserByEmail(normalizeEmail(rawEmail));
    if (!user || user.status !== 'active') return;
    const token = randomToken(32);
    const now = this.d.now();
    await this.d.catalog.passwordResets.createPasswordReset({
      userId: user.id,
      tokenHash: hashToken(token),
      now,
      expiresAt: now + RESET_TTL_MS,
    });
    try {
      await this.d.mailer.send(passwordResetMessage({ to: user.email, link: `${this.d.config.publicUrl}/reset-password/${token}` }));
    } catch (err) {
      // Answering differently here would tell a caller which emails have accounts; the log says it.
      this.d.log.error({ err, userId: user.id }, 'password reset email could not be sent');
    }
  }

  /** Sets the new password and signs the person out everywhere. */
  async resetPassword(token: string, password: string): Promise<void> {
    checkPassword(password);
    const now = this.d.now();
    const { catalog } = this.d;
    const userId = await catalog.passwordResets.consumePasswordReset(hashToken(token), now);
    if (!userId) throw fail('reset_link_invalid');
    await catalog.users.updateUser(userId, { password_hash: await hashPassword(password) }, now);
    await catalog.sessions.revokeUserSessions(userId, now);
    const user = await catalog.users.getUser(userId);
    if (user) await this.d.throttle.reset(user.email);
  }
}
