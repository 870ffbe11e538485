// Accounts: self-service registration, sign-in with throttling, password reset, and the user
// lookups the guards need. Returns values or throws catalogued ApiErrors; the HTTP edge maps them.
// With LOGIN_HIDE_UNKNOWN_USERS=true nothing here tells a stranger whether an email has an account:
// sign-in answers 401 for both, the throttle counts both alike, and registration answers 202 "check
// your email" for every address, finishing from the emailed link (a new address) or telling the
// owner they already have an account (a known one).
import type { Logger } from 'pino';
import type { Catalog } from '../catalog/catalog.js';
import { isEmailLike, normalizeEmail } from '../identity/email.js';
import { type Mailer, type Message, passwordResetMessage, signupConfirmMessage, signupExistingMessage } from '../mail/mailer.js';
import type { OrganizationsService } from '../organizations/service.js';
import type { Organization, UserOrganization } from '../organizations/store.js';
import type { Config } from '../platform/config.js';
import { hashPassword, hashToken, randomToken, verifyPassword } from '../platform/crypto.js';
import { ApiError, fail } from '../platform/errors.js';
import { requireName } from '../platform/names.js';
import type { Throttles } from '../platform/throttles.js';
import { PASSWORD_MAX_LENGTH, type RegisterInput } from './schemas.js';
import type { User } from './store.js';
import type { LoginThrottle } from './throttle.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = PASSWORD_MAX_LENGTH;
const RESET_TTL_MS = 3_600_000;
const SIGNUP_CONFIRM_TTL_MS = 24 * 3_600_000;

/** The 202 answer to every registration when LOGIN_HIDE_UNKNOWN_USERS=true. */
export const SIGNUP_PENDING_MESSAGE = 'Check your email to finish signing up.';

/** A registration: done at once, or (LOGIN_HIDE_UNKNOWN_USERS=true) waiting for the emailed link. */
export type Registration = { kind: 'registered'; user: User; organization: Organization } | { kind: 'pending' };

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
  throttles: Throttles;
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

  /**
   * The active user a JWT or session names, when it was issued under the user's current credentials
   * (a password reset since then ends it).
   */
  async currentUser(id: string, credentialsVersion: number): Promise<User | undefined> {
    const user = await this.activeUser(id);
    return user?.credentials_version === credentialsVersion ? user : undefined;
  }

  /** Self-service sign-up: allowed when SIGNUP_MODE=open, or for the very first user of a fresh install. */
  async signupOpen(catalog: Catalog = this.d.catalog): Promise<boolean> {
    return this.d.config.signupMode === 'open' || (await catalog.organizations.countOrganizations()) === 0;
  }

  /**
   * Takes the sign-up body as both surfaces (data API and dashboard) receive it, from the client
   * address `source` (LIMIT_SIGNUP_PER_SOURCE attempts per address).
   */
  async register(input: RegisterInput, source: string): Promise<Registration> {
    await this.d.throttles.take('signupPerSource', source, 'too many sign-ups from this address; try again later');
    const email = checkEmail(input.email);
    checkPassword(input.password);
    const firstName = requireName(input.first_name, 'first_name');
    const lastName = requireName(input.last_name, 'last_name');
    const orgName = requireName(input.organization_name, 'organization_name');
    if (!(await this.signupOpen())) throw fail('signup_closed');
    if (this.d.config.hideUnknownUsers) {
      await this.requestSignup({ email, password: input.password, firstName, lastName, orgName });
      return { kind: 'pending' };
    }
    if (await this.d.catalog.users.findUserByEmail(email)) throw fail('email_taken');
    const passwordHash = await hashPassword(input.password);
    return { kind: 'registered', ...(await this.createAccount({ email, passwordHash, firstName, lastName, orgName })) };
  }

  private async createAccount(input: {
    email: string;
    passwordHash: string;
    firstName: string;
    lastName: string;
    orgName: string;
  }): Promise<{ user: User; organization: Organization }> {
    const { email, passwordHash, firstName, lastName, orgName } = input;
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
   * LOGIN_HIDE_UNKNOWN_USERS: the answer is the same for every address, so the mailbox decides. A new
   * address gets a link that finishes the sign-up; a known one is told it has an account already.
   * Both paths hash the password, so they take the same time.
   */
  private async requestSignup(input: { email: string; password: string; firstName: string; lastName: string; orgName: string }) {
    const passwordHash = await hashPassword(input.password);
    const existing = await this.d.catalog.users.findUserByEmail(input.email);
    const { publicUrl } = this.d.config;
    let message: Message;
    if (existing) {
      message = signupExistingMessage({ to: input.email, signInLink: `${publicUrl}/sign-in`, resetLink: `${publicUrl}/forgot-password` });
    } else {
      const token = randomToken(32);
      const now = this.d.now();
      await this.d.catalog.signupRequests.createSignupRequest({
        email: input.email,
        token_hash: hashToken(token),
        password_hash: passwordHash,
        first_name: input.firstName,
        last_name: input.lastName,
        organization_name: input.orgName,
        created_at: now,
        expires_at: now + SIGNUP_CONFIRM_TTL_MS,
      });
      message = signupConfirmMessage({ to: input.email, link: `${publicUrl}/confirm-signup/${token}` });
    }
    try {
      await this.d.mailer.send(message);
    } catch (err) {
      // As with reset links: answering differently would tell which emails have accounts.
      this.d.log.error({ err }, 'sign-up email could not be sent');
    }
  }

  /** Finishes a sign-up from its emailed link: the account and organization are made now. */
  async confirmSignup(token: string): Promise<{ user: User; organization: Organization }> {
    const request = await this.d.catalog.signupRequests.consumeSignupRequest(hashToken(token), this.d.now());
    if (!request) throw fail('signup_link_invalid');
    if (await this.d.catalog.users.findUserByEmail(request.email)) throw fail('email_taken');
    return this.createAccount({
      email: request.email,
      passwordHash: request.password_hash,
      firstName: request.first_name,
      lastName: request.last_name,
      orgName: request.organization_name,
    });
  }

  /**
   * Password check, throttled per account and client address (accounts/throttle.ts). Unknown email
   * answers the documented 404 "User not found." unless LOGIN_HIDE_UNKNOWN_USERS is set.
   */
  async login(input: { email: string; password: string; ip: string }): Promise<{ user: User; organizations: UserOrganization[] }> {
    const email = normalizeEmail(input.email);
    await this.d.throttle.assertOpen(email, input.ip);
    const user = await this.d.catalog.users.findUserByEmail(email);
    const ok = await verifyPassword(input.password, user?.password_hash ?? null);
    if (!user || !ok || user.status !== 'active') {
      await this.d.throttle.recordFailure(email, input.ip);
      if (!user) throw fail(this.d.config.hideUnknownUsers ? 'invalid_credentials' : 'user_not_found');
      throw fail('invalid_credentials');
    }
    await this.d.throttle.recordSuccess(email, input.ip);
    return { user, organizations: await this.d.organizations.listForUser(user.id) };
  }

  /**
   * Always succeeds from the caller's view, so it does not reveal which emails exist; limited per
   * address and per client address alike for every email (LIMIT_RESET_MAIL_*), so one mailbox cannot
   * be flooded and the 429 says nothing about the account either.
   */
  async requestPasswordReset(rawEmail: string, source: string): Promise<void> {
    const email = normalizeEmail(rawEmail);
    const { throttles } = this.d;
    await throttles.take('resetMailPerSource', source, 'too many reset requests from this address; try again later');
    await throttles.take('resetMailPerAddress', email, 'a reset link was sent to this email recently; use it or try again later');
    const user = await this.d.catalog.users.findUserByEmail(email);
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

  /**
   * Sets the new password and ends everything issued before it: every session, every data and
   * platform JWT (their credentials version is now old), and every other reset link of the person.
   */
  async resetPassword(token: string, password: string, source: string): Promise<void> {
    checkPassword(password);
    const { catalog } = this.d;
    const tokenHash = hashToken(token);
    // Hash the new password (slow) only for a live link, and outside the transaction.
    if (!(await catalog.passwordResets.findOpenPasswordReset(tokenHash, this.d.now()))) throw fail('reset_link_invalid');
    const passwordHash = await hashPassword(password);
    const now = this.d.now();
    const user = await catalog.transaction(async (tx) => {
      const userId = await tx.passwordResets.consumePasswordReset(tokenHash, now);
      if (!userId) throw fail('reset_link_invalid');
      await tx.users.updateUser(userId, { password_hash: passwordHash }, now);
      await tx.users.bumpCredentialsVersion(userId, now);
      await tx.passwordResets.closeUserPasswordResets(userId, now);
      await tx.sessions.revokeUserSessions(userId, now);
      return tx.users.getUser(userId);
    });
    if (user) await this.d.throttle.forgive(user.email, source);
  }
}
