// Members and invitations: who belongs to an organization with which role, inviting people (by
// email, with a link whose token is stored only as a hash), accepting, role changes and leaving.
// The role lookup here is what every organization-scoped route checks first.
import type { Logger } from 'pino';
import { can, type Permission } from '../accounts/permissions.js';
import { checkEmail, checkPassword } from '../accounts/service.js';
import type { User } from '../accounts/store.js';
import type { LoginThrottle } from '../accounts/throttle.js';
import type { Catalog } from '../catalog/catalog.js';
import { normalizeEmail } from '../identity/email.js';
import { inviteMessage, type Mailer } from '../mail/mailer.js';
import type { Organization } from '../organizations/store.js';
import type { Config } from '../platform/config.js';
import { hashPassword, hashToken, randomToken, verifyPassword } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';
import type { Invite, MemberRow, Role } from './store.js';

export interface IssuedInvite {
  invite: Invite;
  /** Plaintext token, only for building the emailed link; never stored or returned by the API. */
  token: string;
}

export interface MembersDeps {
  catalog: Catalog;
  mailer: Mailer;
  config: Pick<Config, 'publicUrl' | 'inviteTtlHours'>;
  throttle: LoginThrottle;
  log: Logger;
  now: () => number;
}

export class MembersService {
  constructor(private readonly d: MembersDeps) {}

  /** The caller's role in an organization, or 404 so other tenants' ids reveal nothing. */
  async role(organizationId: string | undefined, userId: string): Promise<Role> {
    if (!organizationId) throw fail('invalid_parameters', 'organization_id is required');
    const m = await this.d.catalog.members.getMembership(organizationId, userId);
    if (!m) throw fail('organization_not_found');
    return m.role;
  }

  /** The role, and a 403 unless it grants `permission`. */
  async require(organizationId: string | undefined, userId: string, permission: Permission): Promise<Role> {
    const role = await this.role(organizationId, userId);
    if (!can(role, permission)) throw fail('forbidden');
    return role;
  }

  async isMember(organizationId: string, userId: string): Promise<boolean> {
    return Boolean(await this.d.catalog.members.getMembership(organizationId, userId));
  }

  /** Members, and the pending invitations when the viewer may invite. */
  async list(organizationId: string, viewerRole: Role): Promise<{ members: MemberRow[]; invites: Invite[] }> {
    const members = await this.d.catalog.members.listMembers(organizationId);
    const invites = can(viewerRole, 'members.invite') ? await this.d.catalog.invites.listPendingInvites(organizationId) : [];
    return { members, invites };
  }

  /** Creates (or renews, with a fresh token) the pending invitation of `email`, inside the caller's transaction. */
  async issueInvite(
    tx: Catalog,
    input: { organization: Organization; email: string; role: Role; invitedBy: string | null },
  ): Promise<IssuedInvite> {
    const now = this.d.now();
    const token = randomToken(32);
    const tokenHash = hashToken(token);
    const expiresAt = now + this.d.config.inviteTtlHours * 3_600_000;
    const pending = await tx.invites.findPendingInvite(input.organization.id, input.email);
    if (pending) {
      await tx.invites.renewInvite(pending.id, tokenHash, expiresAt);
      return { invite: { ...pending, token_hash: tokenHash, expires_at: expiresAt }, token };
    }
    const invite = await tx.invites.createInvite({
      organizationId: input.organization.id,
      email: input.email,
      role: input.role,
      tokenHash,
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
  async sendInvite(organization: Organization, issued: IssuedInvite, inviter: User | null): Promise<void> {
    const inviterName = inviter ? [inviter.first_name, inviter.last_name].filter(Boolean).join(' ') || inviter.email : null;
    const link = `${this.d.config.publicUrl}/invite/${issued.token}`;
    try {
      await this.d.mailer.send(inviteMessage({ to: issued.invite.email, organizationName: organization.name, link, inviterName }));
    } catch (err) {
      this.d.log.error({ err, organizationId: organization.id, inviteId: issued.invite.id }, 'invitation email could not be sent');
      throw fail(
        'mail_failed',
        `organization ${organization.id} and the invitation for ${issued.invite.email} are saved; re-send the invitation`,
      );
    }
  }

  private async organization(id: string): Promise<Organization> {
    const organization = await this.d.catalog.organizations.getOrganization(id);
    if (!organization) throw fail('organization_not_found');
    return organization;
  }

  /** A member with `members.invite` invites someone (owners only may invite owners). */
  async invite(input: { organizationId: string; actor: User; actorRole: Role; email: string; role: Role }): Promise<Invite> {
    if (!can(input.actorRole, 'members.invite')) throw fail('forbidden');
    if (input.role === 'owner' && input.actorRole !== 'owner') throw fail('forbidden', 'only owners can invite owners');
    const email = checkEmail(input.email);
    const organization = await this.organization(input.organizationId);
    const existing = await this.d.catalog.users.findUserByEmail(email);
    if (existing && (await this.isMember(organization.id, existing.id))) throw fail('already_member');
    const issued = await this.d.catalog.transaction((tx) =>
      this.issueInvite(tx, { organization, email, role: input.role, invitedBy: input.actor.id }),
    );
    await this.sendInvite(organization, issued, input.actor);
    return issued.invite;
  }

  /** Re-sends a pending invitation with a fresh link (the old one stops working). */
  async resendInvite(input: { organizationId: string; inviteId?: string; email?: string; actor: User | null }): Promise<Invite> {
    const organization = await this.organization(input.organizationId);
    const { invites } = this.d.catalog;
    const pending = input.inviteId
      ? await invites.getInvite(organization.id, input.inviteId)
      : await invites.findPendingInvite(organization.id, normalizeEmail(input.email ?? ''));
    if (!pending || pending.accepted_at !== null || pending.cancelled_at !== null) throw fail('invite_not_found');
    const issued = await this.d.catalog.transaction((tx) =>
      this.issueInvite(tx, { organization, email: pending.email, role: pending.role, invitedBy: pending.invited_by }),
    );
    await this.sendInvite(organization, issued, input.actor);
    return issued.invite;
  }

  async cancelInvite(organizationId: string, inviteId: string): Promise<void> {
    if (!(await this.d.catalog.invites.cancelInvite(organizationId, inviteId, this.d.now()))) throw fail('invite_not_found');
  }

  async previewInvite(token: string): Promise<{ invite: Invite; organization: Organization; existingUser: boolean }> {
    const invite = await this.d.catalog.invites.findOpenInviteByTokenHash(hashToken(token), this.d.now());
    if (!invite) throw fail('invite_not_found');
    const organization = await this.d.catalog.organizations.getOrganization(invite.organization_id);
    if (!organization) throw fail('invite_not_found');
    const user = await this.d.catalog.users.findUserByEmail(invite.email);
    return { invite, organization, existingUser: Boolean(user?.password_hash) };
  }

  /**
   * Accepts an invitation. A new person sets name and password; someone who already has an account
   * (invited to a second organization) proves it with their current password.
   */
  async acceptInvite(input: { token: string; firstName?: string; lastName?: string; password: string; ip: string }): Promise<{
    user: User;
    organization: Organization;
  }> {
    const now = this.d.now();
    const { catalog } = this.d;
    const invite = await catalog.invites.findOpenInviteByTokenHash(hashToken(input.token), now);
    if (!invite) throw fail('invite_not_found');
    const existing = await catalog.users.findUserByEmail(invite.email);
    let passwordHash: string | null = null;
    if (existing?.password_hash) {
      // The same password check as sign-in, so it gets the same throttle (per account and address).
      await this.d.throttle.assertOpen(existing.email, input.ip);
      if (!(await verifyPassword(input.password, existing.password_hash))) {
        await this.d.throttle.recordFailure(existing.email, input.ip);
        throw fail('invalid_credentials');
      }
      await this.d.throttle.recordSuccess(existing.email, input.ip);
    } else {
      checkPassword(input.password);
      if (!input.firstName?.trim() || !input.lastName?.trim()) {
        throw fail('invalid_parameters', 'first_name and last_name are required');
      }
      passwordHash = await hashPassword(input.password);
    }
    return catalog.transaction(async (tx) => {
      if (!(await tx.invites.acceptInvite(invite.id, now))) throw fail('invite_not_found');
      let user = existing;
      if (!user) {
        user = await tx.users.createUser({
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
        await tx.users.updateUser(user.id, patch, now);
        user = { ...user, ...patch };
      }
      if (!(await tx.members.getMembership(invite.organization_id, user.id))) {
        await tx.members.addMember({ organizationId: invite.organization_id, userId: user.id, role: invite.role, now });
      }
      const organization = await tx.organizations.getOrganization(invite.organization_id);
      if (!organization) throw fail('invite_not_found');
      return { user, organization };
    });
  }

  async changeRole(input: { organizationId: string; actorRole: Role; userId: string; role: Role }): Promise<void> {
    if (!can(input.actorRole, 'members.manage')) throw fail('forbidden');
    await this.d.catalog.transaction(async (tx) => {
      const current = await tx.members.getMembership(input.organizationId, input.userId);
      if (!current) throw fail('member_not_found');
      if (current.role === 'owner' && input.role !== 'owner' && (await tx.members.countOwners(input.organizationId)) <= 1) {
        throw fail('last_owner');
      }
      await tx.members.setMemberRole(input.organizationId, input.userId, input.role);
    });
  }

  /** Owners remove anyone; anyone may leave. The last owner stays. */
  async removeMember(input: { organizationId: string; actorId: string; actorRole: Role; userId: string }): Promise<void> {
    if (input.userId !== input.actorId && !can(input.actorRole, 'members.manage')) throw fail('forbidden');
    await this.d.catalog.transaction(async (tx) => {
      const current = await tx.members.getMembership(input.organizationId, input.userId);
      if (!current) throw fail('member_not_found');
      if (current.role === 'owner' && (await tx.members.countOwners(input.organizationId)) <= 1) throw fail('last_owner');
      await tx.members.removeMember(input.organizationId, input.userId);
    });
  }
}
