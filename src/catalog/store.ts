// The catalog store: every read and write of organizations, people, credentials, projects and
// pixels. One Kysely implementation runs on SQLite and PostgreSQL; test/catalog/contract.ts checks
// it on both. Services hold the business rules; this file only stores and finds.
import { type Kysely, type Selectable, sql } from 'kysely';
import { uuid, uuidv7 } from '../platform/crypto.js';
import type {
  AccessLogsTable,
  ApiClientsTable,
  ApiKeysTable,
  AppsTable,
  CatalogDb,
  InvitesTable,
  OrganizationsTable,
  PixelsTable,
  ProjectsTable,
  Role,
  SessionsTable,
  UsersTable,
} from './schema.js';

export type Organization = Selectable<OrganizationsTable>;
export type User = Selectable<UsersTable>;
export type Invite = Selectable<InvitesTable>;
export type Session = Selectable<SessionsTable>;
export type ApiClient = Selectable<ApiClientsTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type AccessLog = Selectable<AccessLogsTable>;
export type App = Selectable<AppsTable>;
export type Project = Selectable<ProjectsTable>;
export type Pixel = Selectable<PixelsTable>;
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

export interface UserOrganization extends Organization {
  role: Role;
}

export class CatalogStore {
  constructor(
    readonly db: Kysely<CatalogDb>,
    readonly dialect: 'sqlite' | 'postgres',
  ) {}

  /**
   * Inside a transaction: waits for any other transaction holding the same lock, until it ends.
   * PostgreSQL only (a transaction-scoped advisory lock, so several processes queue); SQLite runs
   * one write transaction at a time already.
   */
  async serializeOn(lock: 'first_signup'): Promise<void> {
    const keys = { first_signup: 7_350_001 };
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${keys[lock]})`.execute(this.db);
  }

  /** Runs `fn` in one transaction; the store passed in reads and writes inside it. */
  transaction<T>(fn: (tx: CatalogStore) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new CatalogStore(trx, this.dialect)));
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('organizations').select('id').limit(1).execute();
  }

  // Organizations

  async createOrganization(input: { name: string; now: number }): Promise<Organization> {
    const row: Organization = { id: uuid(), name: input.name, status: 'active', created_at: input.now };
    await this.db.insertInto('organizations').values(row).execute();
    return row;
  }

  async getOrganization(id: string): Promise<Organization | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listOrganizations(): Promise<Organization[]> {
    return this.db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  async countOrganizations(): Promise<number> {
    const r = await this.db
      .selectFrom('organizations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async listOrganizationsForUser(userId: string): Promise<UserOrganization[]> {
    return this.db
      .selectFrom('memberships as m')
      .innerJoin('organizations as o', 'o.id', 'm.organization_id')
      .selectAll('o')
      .select('m.role')
      .where('m.user_id', '=', userId)
      .orderBy('m.created_at')
      .orderBy('o.id')
      .execute();
  }

  // Users

  async createUser(input: {
    email: string;
    firstName?: string | null;
    lastName?: string | null;
    passwordHash?: string | null;
    status: User['status'];
    now: number;
  }): Promise<User> {
    const row: User = {
      id: uuid(),
      email: input.email,
      first_name: input.firstName ?? null,
      last_name: input.lastName ?? null,
      password_hash: input.passwordHash ?? null,
      status: input.status,
      created_at: input.now,
      updated_at: input.now,
    };
    await this.db.insertInto('users').values(row).execute();
    return row;
  }

  async getUser(id: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** `email` must already be normalised (see identity/email.ts). */
  async findUserByEmail(email: string): Promise<User | undefined> {
    return this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  async updateUser(
    id: string,
    patch: Partial<Pick<User, 'first_name' | 'last_name' | 'password_hash' | 'status'>>,
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ ...patch, updated_at: now })
      .where('id', '=', id)
      .execute();
  }

  // Memberships

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
    const r = await this.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .where('role', '=', 'owner')
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  // Invites

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

  // Sessions and password resets

  async createSession(input: { userId: string; tokenHash: string; now: number; expiresAt: number }): Promise<Session> {
    const row: Session = {
      id: uuid(),
      token_hash: input.tokenHash,
      user_id: input.userId,
      created_at: input.now,
      expires_at: input.expiresAt,
      revoked_at: null,
    };
    await this.db.insertInto('sessions').values(row).execute();
    return row;
  }

  async findLiveSession(tokenHash: string, now: number): Promise<Session | undefined> {
    return this.db
      .selectFrom('sessions')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
  }

  async revokeSession(id: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).execute();
  }

  async revokeUserSessions(userId: string, now: number): Promise<void> {
    await this.db.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
  }

  async createPasswordReset(input: { userId: string; tokenHash: string; now: number; expiresAt: number }): Promise<void> {
    await this.db
      .insertInto('password_resets')
      .values({
        id: uuid(),
        user_id: input.userId,
        token_hash: input.tokenHash,
        created_at: input.now,
        expires_at: input.expiresAt,
        used_at: null,
      })
      .execute();
  }

  /** Consumes a reset token once; returns its user id, or undefined when unknown, used or expired. */
  async consumePasswordReset(tokenHash: string, now: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('password_resets')
      .select(['id', 'user_id'])
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return undefined;
    const r = await this.db
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('id', '=', row.id)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? row.user_id : undefined;
  }

  // API clients and keys

  async createApiClient(input: { organizationId: string; name: string; createdBy: string | null; now: number }): Promise<ApiClient> {
    const row: ApiClient = {
      id: uuid(),
      organization_id: input.organizationId,
      name: input.name,
      status: 'active',
      created_by: input.createdBy,
      created_at: input.now,
      deleted_at: null,
    };
    await this.db.insertInto('api_clients').values(row).execute();
    return row;
  }

  async listApiClients(organizationId: string): Promise<ApiClient[]> {
    return this.db
      .selectFrom('api_clients')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('status', '=', 'active')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Deletes a client and revokes its keys at once; false when not this organization's. */
  async deleteApiClient(organizationId: string, clientId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_clients')
      .set({ status: 'deleted', deleted_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', clientId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await this.db
      .updateTable('api_keys')
      .set({ status: 'revoked', revoked_at: now })
      .where('client_id', '=', clientId)
      .where('status', '=', 'active')
      .execute();
    return true;
  }

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

  /** Key lookup on every data-API request, by the SHA-256 of the presented key. */
  async findApiKeyByHash(keyHash: string): Promise<(ApiKey & { organization_status: string }) | undefined> {
    return this.db
      .selectFrom('api_keys as k')
      .innerJoin('organizations as o', 'o.id', 'k.organization_id')
      .selectAll('k')
      .select('o.status as organization_status')
      .where('k.key_hash', '=', keyHash)
      .executeTakeFirst();
  }

  async revokeApiKey(organizationId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ status: 'revoked', revoked_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async rotateApiSecret(organizationId: string, id: string, secretHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ secret_hash: secretHash, secret_required: 1, secret_rotated_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async touchApiKeys(ids: readonly string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', 'in', ids).execute();
  }

  /** Ids are UUIDv7, so entries with the same `ts` still list in the order they were appended. */
  async appendAccessLogs(entries: readonly Omit<AccessLog, 'id'>[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto('access_logs')
      .values(entries.map((e) => ({ ...e, id: uuidv7() })))
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

  // Apps (Partner API credentials, owned by a user)

  async createApp(input: { userId: string; name: string; clientId: string; secretHash: string; now: number }): Promise<App> {
    const row: App = {
      id: uuid(),
      user_id: input.userId,
      name: input.name,
      client_id: input.clientId,
      secret_hash: input.secretHash,
      status: 'active',
      created_at: input.now,
      updated_at: input.now,
      deleted_at: null,
    };
    await this.db.insertInto('apps').values(row).execute();
    return row;
  }

  async listApps(userId: string): Promise<App[]> {
    return this.db
      .selectFrom('apps')
      .selectAll()
      .where('user_id', '=', userId)
      .where('status', '=', 'active')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async getApp(id: string): Promise<App | undefined> {
    return this.db.selectFrom('apps').selectAll().where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
  }

  async findAppByClientId(clientId: string): Promise<App | undefined> {
    return this.db.selectFrom('apps').selectAll().where('client_id', '=', clientId).where('status', '=', 'active').executeTakeFirst();
  }

  async deleteApp(userId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('apps')
      .set({ status: 'deleted', deleted_at: now, updated_at: now })
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // Projects

  async createProject(input: { organizationId: string; name: string; now: number }): Promise<Project> {
    const row: Project = {
      id: uuid(),
      organization_id: input.organizationId,
      name: input.name,
      status: 'active',
      created_at: input.now,
      updated_at: input.now,
    };
    await this.db.insertInto('projects').values(row).execute();
    return row;
  }

  async listProjects(organizationId: string): Promise<Project[]> {
    return this.db
      .selectFrom('projects')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async getProject(id: string): Promise<Project | undefined> {
    return this.db.selectFrom('projects').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async renameProject(organizationId: string, id: string, name: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('projects')
      .set({ name, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  // Pixels

  async createPixel(input: {
    organizationId: string;
    projectId: string;
    title: string;
    respectPrivacy?: boolean;
    /** Comma-separated tracker names, already checked by the caller. */
    trackers: string;
    now: number;
  }): Promise<Pixel> {
    const row: Pixel = {
      id: uuid(),
      organization_id: input.organizationId,
      project_id: input.projectId,
      title: input.title,
      status: 'active',
      respect_privacy: input.respectPrivacy ? 1 : 0,
      trackers: input.trackers,
      created_at: input.now,
      updated_at: input.now,
      deleted_at: null,
      first_event_at: null,
    };
    await this.db.insertInto('pixels').values(row).execute();
    return row;
  }

  async listPixels(projectId: string): Promise<Pixel[]> {
    return this.db
      .selectFrom('pixels')
      .selectAll()
      .where('project_id', '=', projectId)
      .where('status', '=', 'active')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async listOrganizationPixels(organizationId: string): Promise<Pixel[]> {
    return this.db
      .selectFrom('pixels')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('status', '=', 'active')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** A live pixel; deleted pixels are not found. */
  async getPixel(id: string): Promise<Pixel | undefined> {
    return this.db.selectFrom('pixels').selectAll().where('id', '=', id).where('status', '=', 'active').executeTakeFirst();
  }

  /** Changes a live pixel's settings; false when it is not (or no longer) there. */
  async updatePixel(
    organizationId: string,
    id: string,
    changes: { title?: string; respectPrivacy?: boolean; trackers?: string },
    now: number,
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('pixels')
      .set({
        ...(changes.title === undefined ? {} : { title: changes.title }),
        ...(changes.respectPrivacy === undefined ? {} : { respect_privacy: changes.respectPrivacy ? 1 : 0 }),
        ...(changes.trackers === undefined ? {} : { trackers: changes.trackers }),
        updated_at: now,
      })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async deletePixel(organizationId: string, id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('pixels')
      .set({ status: 'deleted', deleted_at: now, updated_at: now })
      .where('organization_id', '=', organizationId)
      .where('id', '=', id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async markPixelFirstEvent(id: string, at: number): Promise<void> {
    await this.db.updateTable('pixels').set({ first_event_at: at }).where('id', '=', id).where('first_event_at', 'is', null).execute();
  }
}
