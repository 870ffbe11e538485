// Memberships (who belongs to which organization, with which role) and invitations, in the catalog.
// Kysely, the same on SQLite and PostgreSQL; test/catalog/contract/members.ts checks both.
import type { Kysely, Selectable } from 'kysely';
import type { User } from '../accounts/store.js';
import { countRows } from '../catalog/count.js';
import type { CatalogDb, InvitesTable, Role } from '../catalog/schema.js';
import { uuid } from '../platform/crypto.js';

export type Invite = Selectable<InvitesTable>;
export type { Role };

export interface MemberRow {
  user_id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  status: User['status'];
  role: Role;
  created_at: number;
}

export class MembersStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async addMember(input: { organizationId: string; userId: string; role: Role; now: number }): Promise<void> {
    await this.db
      .insertInto('memberships')
      .values({ organization_id: input.organizationId, user_id: input.userId, role: input.role, created_at: input.now })
      .execute();
  }

  async getMembership(organizationId: string, userId: string): Promise<{ role: Role } | undefined> {
    return this.db
      .selectFrom('memberships')
      .select('role')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async listMembers(organizationId: string): Promise<MemberRow[]> {
    return this.db
      .selectFrom('memberships as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id as user_id', 'u.email', 'u.first_name', 'u.last_name', 'u.status', 'm.role', 'm.created_at'])
      .where('m.organization_id', '=', organizationId)
      .orderBy('m.created_at')
      .orderBy('u.id')
      .execute();
  }

  async setMemberRole(organizationId: string, userId: string, role: Role): Promise<boolean> {
    const r = await this.db
      .updateTable('memberships')
      .set({ role })
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async removeMember(organizationId: string, userId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('memberships')
      .where('organization_id', '=', organizationId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async countOwners(organizationId: string): Promise<number> {
    return countRows(this.db.selectFrom('memberships').where('organization_id', '=', organizationId).where('role', '=', 'owner'));
  }
}

export class InvitesStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async createInvite(input: {
    organizationId: string;
    email: string;
    role: Role;
    tokenHash: string;
    invitedBy: string | null;
    now: number;
    expiresAt: number;
  }): Promise<Invite> {
    const row: Invite = {
      id: uuid(),
      organization_id: input.organizationId,
      email: input.email,
      role: input.role,
      token_hash: input.tokenHash,
      invited_by: input.invitedBy,
      created_at: input.now,
      expires_at: input.expiresAt,
      accepted_at: null,
      cancelled_at: null,
    };
    await this.db.insertInto('invites').values(row).execute();
    return row;
  }

  /** An invite that can still be accepted at `now`. */
  async findOpenInviteByTokenHash(tokenHash: string, now: number): Promise<Invite | undefined> {
    return this.db
      .selectFrom('invites')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('accepted_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  async getInvite(organizationId: string, id: string): Promise<Invite | undefined> {
    return this.db.selectFrom('invites').selectAll().where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
  }

  async findPendingInvite(organizationId: string, email: string): Promise<Invite | undefined> {
    return this.db
      .selectFrom('invites')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('email', '=', email)
      .where('accepted_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  }

  async listPendingInvites(organizationId: string): Promise<Invite[]> {
    return this.db
      .selectFrom('invites')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('accepted_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Issues a new token for a pending invite; the old link stops working. */
  async renewInvite(id: string, tokenHash: string, expiresAt: number): Promise<void> {
    await this.db.updateTable('invites').set({ token_hash: tokenHash, expires_at: expiresAt }).where('id', '=', id).execute();
  }

  /** Marks accepted only if still open; false when another request got there first. */
  async acceptInvite(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('invites')
      .set({ accepted_at: now })
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async cancelInvite(organizationId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('invites')
      .set({ cancelled_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('cancelled_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
