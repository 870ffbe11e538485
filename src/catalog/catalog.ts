// The catalog: one Kysely connection (SQLite or PostgreSQL) and each feature's store over it. The
// queries live in the feature folders (src/<feature>/store.ts); this class only binds them to one
// connection, so a transaction can hand every store the same transaction. Services receive the
// stores they need; routes never see the catalog.
import { type Kysely, sql } from 'kysely';
import { PasswordResetsStore, SignupRequestsStore, UsersStore } from '../accounts/store.js';
import { AccessLogsStore, ApiKeysStore } from '../api-keys/store.js';
import { AppsStore } from '../apps/store.js';
import { AudiencesStore } from '../audiences/store.js';
import { ErasuresStore } from '../identity/erasures.js';
import { IdentityImportsStore } from '../identity-import/store.js';
import { ApiClientsStore } from '../legacy-clients/store.js';
import { InvitesStore, MembersStore } from '../members/store.js';
import { OrganizationsStore } from '../organizations/store.js';
import { PixelsStore } from '../pixels/store.js';
import { ProjectsStore } from '../projects/store.js';
import { TaskLeasesStore } from '../retention/store.js';
import { SessionsStore } from '../sessions/store.js';
import type { CatalogDb } from './schema.js';

export class Catalog {
  readonly organizations: OrganizationsStore;
  readonly users: UsersStore;
  readonly passwordResets: PasswordResetsStore;
  readonly signupRequests: SignupRequestsStore;
  readonly members: MembersStore;
  readonly invites: InvitesStore;
  readonly sessions: SessionsStore;
  readonly apiClients: ApiClientsStore;
  readonly apiKeys: ApiKeysStore;
  readonly accessLogs: AccessLogsStore;
  readonly apps: AppsStore;
  readonly projects: ProjectsStore;
  readonly pixels: PixelsStore;
  readonly taskLeases: TaskLeasesStore;
  readonly identityImports: IdentityImportsStore;
  readonly audiences: AudiencesStore;
  readonly erasures: ErasuresStore;

  constructor(
    readonly db: Kysely<CatalogDb>,
    readonly dialect: 'sqlite' | 'postgres',
  ) {
    this.organizations = new OrganizationsStore(db);
    this.users = new UsersStore(db);
    this.passwordResets = new PasswordResetsStore(db);
    this.signupRequests = new SignupRequestsStore(db);
    this.members = new MembersStore(db);
    this.invites = new InvitesStore(db);
    this.sessions = new SessionsStore(db);
    this.apiClients = new ApiClientsStore(db);
    this.apiKeys = new ApiKeysStore(db);
    this.accessLogs = new AccessLogsStore(db);
    this.apps = new AppsStore(db);
    this.projects = new ProjectsStore(db);
    this.pixels = new PixelsStore(db);
    this.taskLeases = new TaskLeasesStore(db);
    this.identityImports = new IdentityImportsStore(db);
    this.audiences = new AudiencesStore(db);
    this.erasures = new ErasuresStore(db);
  }

  /**
   * Inside a transaction: waits for any other transaction holding the same lock, until it ends.
   * PostgreSQL only (a transaction-scoped advisory lock, so several processes queue); SQLite runs
   * one write transaction at a time already.
   */
  async serializeOn(lock: 'first_signup'): Promise<void> {
    const keys = { first_signup: 7_350_001 };
    if (this.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${keys[lock]})`.execute(this.db);
  }

  /** Runs `fn` in one transaction; every store of the catalog passed in reads and writes inside it. */
  transaction<T>(fn: (tx: Catalog) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new Catalog(trx, this.dialect)));
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('organizations').select('id').limit(1).execute();
  }
}

/** What a service that writes across features in one transaction needs of the catalog. */
export type Transactional = Pick<Catalog, 'transaction'>;
