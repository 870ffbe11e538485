// Accounts: organizations created by the operator, invitations, acceptance, registration, login with
// throttling, members and roles, password reset. Returns values or throws catalogued ApiErrors; the
// HTTP edge only maps them.
import type { Logger } from 'pino';
import type { CatalogStore, Invite, Organization, Role, User, UserOrganization } from '../catalog/store.js';
import { isEmailLike, normalizeEmail } from '../identity/email.js';
import { inviteMessage, type Mailer, passwordResetMessage } from '../mail/mailer.js';
import type { Config } from '../platform/config.js';
import { hashPassword, hashToken, randomToken, verifyPassword } from '../platform/crypto.js';
import { ApiError, fail } from '../platform/errors.js';
import type { FailureCounter } from '../platform/limits.js';
import { can } from './permissions.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export interface AccountsDeps {
  store: CatalogStore;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'signupMode' | 'inviteTtlHours' | 'hideUnknownUsers' | 'loginThrottle'>;
  failures: FailureCounter;
  log: Logger;
  now: () => number;
}

export interface InviteResult {
  invite: Invite;
  /** Plaintext token, only for building the emailed link; never stored or returned by the API. */
  token: string;
}

export class AccountsService {
  constructor(private readonly d: AccountsDeps) {}

  private inviteLink(token: string): string {
    return `${this.d.config.publicUrl}/invite/${token}`;
  }

  private checkPassword(password: string): void {
    if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
      throw fail('invalid_parameters', `password must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`);
    }
  }

  private checkEmail(raw: string): string {
    const email = normalizeEmail(raw);
    if (!isEmailLike(email)) throw fail('invalid_parameters', 'email is not a valid email address');
    return email;
  }

  /** Operator: a new organization and an invitation for its first owner. */
  async createOrganization(input: { name: string; ownerEmail: string }): Promise<{ organization: Organization; invite: Invite }> {
    const email = this.checkEmail(input.ownerEmail);
    const name = input.name.trim();
    if (!name) throw fail('invalid_parameters', 'name must not be empty');
    const now = this.d.now();
    const { organization, result } = await this.d.store.transaction(async (tx) => {
      const organization = await tx.createOrganization({ name, now });
      const result = await this.issueInvite(tx, { organization, email, role: 'owner', invitedBy: null });
      return { organization, result };
    });
    await this.sendInvite(organization, result, null);
    return { organization, invite: result.invite };
  }

  private async issueInvite(
    tx: CatalogStore,
    input: { organization: Organization; email: string; role: Role; invitedBy: string | null },
  ): Promise<InviteResult> {
    const now = this.d.now();
    const token = randomToken(32);
    const expiresAt = now + this.d.config.inviteTtlHours * 3_600_000;
    const pending = await tx.findPendingInvite(input.organization.id, input.email);
    if (pending) {
      await tx.renewInvite(pending.id, hashToken(token), expiresAt);
      return { invite: { ...pending, token_hash: hashToken(token), expires_at: expiresAt, role: pending.role }, token };
    }
    const invite = await tx.createInvite({
      organizationId: input.organization.id,
      email: input.email,
      role: input.role,
      tokenHash: hashToken(token),
      invitedBy: input.invitedBy,
      now,
      expiresAt,
    });
    return { invite, token };
  }

  /**
   * The invitation is committed before its email goes out (a slow mail server must not hold a
   * transaction open). When sending fails, say so with a catalogued error that names what was saved,
   * so the operator re-sends instead of creating the organization a second time.
   */
  private async sendInvite(organization: Organization, r: InviteResult, inviter: User | null): Promise<void> {
    const inviterName = inviter ? [inviter.first_name, inviter.last_name].filter(Boolean).join(' ') || inviter.email : null;
    try {
      await this.d.mailer.send(
        inviteMessage({ to: r.invite.email, organizationName: organization.name, link: this.inviteLink(r.token), inviterName }),
      );
    } catch (err) {
      this.d.log.error({ err, organizationId: organization.id, inviteId: r.invite.id }, 'invitation email could not be sent');
      throw fail(
        'mail_failed',
        `organization ${organization.id} and the invitation for ${r.invite.email} are saved; re-send the invitation`,
      );
    }
  }

  /** A member with `members.invite` invites someone (owners only may invite owners). */
  async invite(input: { organizationId: string; actor: User; actorRole: Role; email: string; role: Role }): Promise<Invite> {
    if (!can(input.actorRole, 'members.invite')) throw fail('forbidden');
    if (input.role === 'owner' && input.actorRole !== 'owner') throw fail('forbidden', 'only owners can invite owners');
    const email = this.checkEmail(input.email);
    const organization = await this.d.store.getOrganization(input.organizationId);
    if (!organization) throw fail('organization_not_found');
    const existing = await this.d.store.findUserByEmail(email);
    if (existing && (await this.d.store.getMembership(organization.id, existing.id))) throw fail('already_member');
    const result = await this.d.store.transaction((tx) =>
      this.issueInvite(tx, { organization, email, role: input.role, invitedBy: input.actor.id }),
    );
    await this.sendInvite(organization, result, input.actor);
    return result.invite;
  }

  /** Re-sends a pending invitation with a fresh link (the old one stops working). */
  async resendInvite(input: { organizationId: string; inviteId?: string; email?: string; actor: User | null }): Promise<Invite> {
    const organization = await this.d.store.getOrganization(input.organizationId);
    if (!organization) throw fail('organization_not_found');
    const pending = input.inviteId
      ? await this.d.store.getInvite(organization.id, input.inviteId)
      : await this.d.store.findPendingInvite(organization.id, normalizeEmail(input.email ?? ''));
    if (!pending || pending.accepted_at !== null || pending.cancelled_at !== null) throw fail('invite_not_found');
    const result = await this.d.store.transaction((tx) =>
      this.issueInvite(tx, { organization, email: pending.email, role: pending.role, invitedBy: pending.invited_by }),
    );
    await this.sendInvite(organization, result, input.actor);
    return result.invite;
  }

  async cancelInvite(organizationId: string, inviteId: string): Promise<void> {
    if (!(await this.d.store.cancelInvite(organizationId, inviteId, this.d.now()))) throw fail('invite_not_found');
  }

  async previewInvite(token: string): Promise<{ invite: Invite; organization: Organization; existingUser: boolean }> {
    const invite = await this.d.store.findOpenInviteByTokenHash(hashToken(token), this.d.now());
    if (!invite) throw fail('invite_not_found');
    const organization = await this.d.store.getOrganization(invite.organization_id);
    if (!organization) throw fail('invite_not_found');
    const user = await this.d.store.findUserByEmail(invite.email);
    return { invite, organization, existingUser: Boolean(user?.password_hash) };
  }

  /**
   * Accepts an invitation. A new person sets name and password; someone who already has an account
   * (invited to a second organization) proves it with their current password.
   */
  async acceptInvite(input: { token: string; firstName?: string; lastName?: string; password: string }): Promise<{
    user: User;
    organization: Organization;
  }> {
    const now = this.d.now();
    const invite = await this.d.store.findOpenInviteByTokenHash(hashToken(input.token), now);
    if (!invite) throw fail('invite_not_found');
    const existing = await this.d.store.findUserByEmail(invite.email);
    let passwordHash: string | null = null;
    if (existing?.password_hash) {
      // The same password check as login, so it gets the same per-account throttle.
      const accountKey = `login:acct:${existing.email}`;
      if ((await this.d.failures.count(accountKey)) >= this.d.config.loginThrottle.maxFailures) throw fail('too_many_attempts');
      if (!(await verifyPassword(input.password, existing.password_hash))) {
        await this.d.failures.fail(accountKey);
        throw fail('invalid_credentials');
      }
    } else {
      this.checkPassword(input.password);
      if (!input.firstName?.trim() || !input.lastName?.trim()) {
        throw fail('invalid_parameters', 'first_name and last_name are required');
      }
      passwordHash = await hashPassword(input.password);
    }
    return this.d.store.transaction(async (tx) => {
      if (!(await tx.acceptInvite(invite.id, now))) throw fail('invite_not_found');
      let user = existing;
      if (!user) {
        user = await tx.createUser({
          email: invite.email,
          firstName: input.firstName?.trim() ?? null,
          lastName: input.lastName?.trim() ?? null,
          passwordHash,
          status: 'active',
          now,
        });
      } else if (passwordHash) {
        const patch = {
          first_name: input.firstName?.trim() ?? null,
          last_name: input.lastName?.trim() ?? null,
          password_hash: passwordHash,
          status: 'active' as const,
        };
        await tx.updateUser(user.id, patch, now);
        user = { ...user, ...patch };
      }
      if (!(await tx.getMembership(invite.organization_id, user.id))) {
        await tx.addMember({ organizationId: invite.organization_id, userId: user.id, role: invite.role, now });
      }
      const organization = await tx.getOrganization(invite.organization_id);
      if (!organization) throw fail('invite_not_found');
      return { user, organization };
    });
  }

  /** Self-service sign-up: allowed when SIGNUP_MODE=open, or for the very first user of a fresh install. */
  async register(input: {
    email: string;
    password: string;
    firstName: string;
    lastName: string;
    organizationName: string;
  }): Promise<{ user: User; organization: Organization }> {
    const email = this.checkEmail(input.email);
    this.checkPassword(input.password);
    const orgName = input.organizationName.trim();
    if (!orgName || !input.firstName.trim() || !input.lastName.trim()) {
      throw fail('invalid_parameters', 'first_name, last_name and organization_name must not be empty');
    }
    const closed = async (store: CatalogStore) => this.d.config.signupMode !== 'open' && (await store.countOrganizations()) > 0;
    if (await closed(this.d.store)) throw fail('signup_closed');
    if (await this.d.store.findUserByEmail(email)) throw fail('email_taken');
    const passwordHash = await hashPassword(input.password);
    const now = this.d.now();
    try {
      return await this.d.store.transaction(async (tx) => {
        // Checked again inside the transaction, behind a lock: two sign-ups racing on a fresh install,
        // even through two processes, must not both become "the first user".
        await tx.serializeOn('first_signup');
        if (await closed(tx)) throw fail('signup_closed');
        const user = await tx.createUser({
          email,
          firstName: input.firstName.trim(),
          lastName: input.lastName.trim(),
          passwordHash,
          status: 'active',
          now,
        });
        const organization = await tx.createOrganization({ name: orgName, now });
        await tx.addMember({ organizationId: organization.id, userId: user.id, role: 'owner', now });
        return { user, organization };
      });
    } catch (err) {
      if (err instanceof ApiError) throw err;
      // Two sign-ups with one email racing: the unique index decides.
      if (await this.d.store.findUserByEmail(email)) throw fail('email_taken');
      throw err;
    }
  }

  /**
   * Password check with throttling per account and per client IP. Unknown email answers the
   * documented 404 "User not found." unless LOGIN_HIDE_UNKNOWN_USERS is set.
   */
  async login(input: { email: string; password: string; ip: string }): Promise<{ user: User; organizations: UserOrganization[] }> {
    const email = normalizeEmail(input.email);
    const { maxFailures } = this.d.config.loginThrottle;
    const accountKey = `login:acct:${email}`;
    const ipKey = `login:ip:${input.ip}`;
    if ((await this.d.failures.count(accountKey)) >= maxFailures || (await this.d.failures.count(ipKey)) >= maxFailures * 5) {
      throw fail('too_many_attempts');
    }
    const user = await this.d.store.findUserByEmail(email);
    const ok = await verifyPassword(input.password, user?.password_hash ?? null);
    if (!user || !ok || user.status !== 'active') {
      await this.d.failures.fail(ipKey);
      if (!user) throw fail(this.d.config.hideUnknownUsers ? 'invalid_credentials' : 'user_not_found');
      await this.d.failures.fail(accountKey);
      throw fail('invalid_credentials');
    }
    await this.d.failures.reset(accountKey);
    return { user, organizations: await this.d.store.listOrganizationsForUser(user.id) };
  }

  async changeRole(input: { organizationId: string; actorRole: Role; userId: string; role: Role }): Promise<void> {
    if (!can(input.actorRole, 'members.manage')) throw fail('forbidden');
    await this.d.store.transaction(async (tx) => {
      const current = await tx.getMembership(input.organizationId, input.userId);
      if (!current) throw fail('member_not_found');
      if (current.role === 'owner' && input.role !== 'owner' && (await tx.countOwners(input.organizationId)) <= 1) {
        throw fail('last_owner');
      }
      await tx.setMemberRole(input.organizationId, input.userId, input.role);
    });
  }

  /** Owners remove anyone; anyone may leave. The last owner stays. */
  async removeMember(input: { organizationId: string; actorId: string; actorRole: Role; userId: string }): Promise<void> {
    if (input.userId !== input.actorId && !can(input.actorRole, 'members.manage')) throw fail('forbidden');
    await this.d.store.transaction(async (tx) => {
      const current = await tx.getMembership(input.organizationId, input.userId);
      if (!current) throw fail('member_not_found');
      if (current.role === 'owner' && (await tx.countOwners(input.organizationId)) <= 1) throw fail('last_owner');
      await tx.removeMember(input.organizationId, input.userId);
    });
  }

  /** Always succeeds from the caller's view, so it does not reveal which emails exist. */
  async requestPasswordReset(rawEmail: string): Promise<void> {
    const user = await this.d.store.findUserByEmail(normalizeEmail(rawEmail));
    if (!user || user.status !== 'active') return;
    const token = randomToken(32);
    const now = this.d.now();
    await this.d.store.createPasswordReset({ userId: user.id, tokenHash: hashToken(token), now, expiresAt: now + 3_600_000 });
    try {
      await this.d.mailer.send(passwordResetMessage({ to: user.email, link: `${this.d.config.publicUrl}/reset-password/${token}` }));
    } catch (err) {
      // Answering differently here would tell a caller which emails have accounts; the log says it.
      this.d.log.error({ err, userId: user.id }, 'password reset email could not be sent');
    }
  }

  async resetPassword(token: string, password: string): Promise<void> {
    this.checkPassword(password);
    const now = this.d.now();
    const userId = await this.d.store.consumePasswordReset(hashToken(token), now);
    if (!userId) throw fail('reset_link_invalid');
    await this.d.store.updateUser(userId, { password_hash: await hashPassword(password) }, now);
    await this.d.store.revokeUserSessions(userId, now);
    await this.d.failures.reset(`login:acct:${(await this.d.store.getUser(userId))?.email ?? ''}`);
  }
}
