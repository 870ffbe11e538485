// Table shapes of the catalog, shared by SQLite and PostgreSQL. Times are epoch ms (bigint),
// flags are integers 0/1 so both engines store and return the same values.
import type { AccountTables } from '../accounts/tables.js';
import type { AudiencesTable } from '../audiences/store.js';
import type { IdentityErasuresTable } from '../identity/erasures.js';
import type { IdentityImportsTable } from '../identity-import/store.js';
import type { TaxonomyTables } from '../taxonomy/tables.js';

export type Role = 'owner' | 'admin' | 'member';

export interface OrganizationsTable {
  id: string;
  name: string;
  status: string;
  created_at: number;
  /** 1: API keys must send their secret (the default); 0: key-only calls are allowed (legacy integrations). */
  secret_required: number;
}

export interface UsersTable {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  password_hash: string | null;
  status: 'invited' | 'active' | 'disabled';
  created_at: number;
  updated_at: number;
  /** Bumped by a password reset: JWTs and sessions carrying an older version are refused. */
  credentials_version: number;
}

export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: Role;
  created_at: number;
}

export interface InvitesTable {
  id: string;
  organization_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string | null;
  created_at: number;
  expires_at: number;
  accepted_at: number | null;
  cancelled_at: number | null;
}

export interface SessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  /** The user's credentials version when the session began. */
  credentials_version: number;
}

export interface PasswordResetsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface ApiClientsTable {
  id: string;
  organization_id: string;
  name: string;
  status: 'active' | 'deleted';
  created_by: string | null;
  created_at: number;
  deleted_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  organization_id: string;
  client_id: string | null;
  name: string;
  key_prefix: string;
  key_hash: string;
  secret_hash: string | null;
  secret_required: number;
  status: 'active' | 'revoked';
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  secret_rotated_at: number | null;
}

export interface AccessLogsTable {
  id: string;
  key_id: string;
  organization_id: string;
  method: string;
  path: string;
  status: number;
  ts: number;
  ip: string | null;
  /** Requests this row stands for: one per key, method, path, status and minute (0012). */
  count: number;
  /** floor(ts / 60000); null on rows written before 0012. */
  minute: number | null;
}

export interface AppsTable {
  id: string;
  user_id: string;
  name: string;
  client_id: string;
  secret_hash: string;
  status: 'active' | 'deleted';
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  status: 'active' | 'archived';
  /** IANA zone the project's stats count days in (default UTC). */
  time_zone: string;
  created_at: number;
  updated_at: number;
  /** Events older than this many days are deleted by the retention pass; null keeps them forever. */
  retention_days: number | null;
}

export interface PixelsTable {
  id: string;
  organization_id: string;
  project_id: string;
  title: string;
  status: 'active' | 'deleted';
  respect_privacy: number;
  /** Enabled optional trackers, comma-separated in canonical order ('' for none). */
  trackers: string;
  /** Hosts its redirects may go to, comma-separated, canonical ('' for none: src/pixels/redirect-hosts.ts). */
  redirect_hosts: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  first_event_at: number | null;
}

/** One periodic task's lease (src/retention/store.ts). */
export interface TaskLeasesTable {
  name: string;
  holder: string | null;
  lease_until: number;
  last_started_at: number | null;
}

export interface CatalogDb extends TaxonomyTables, AccountTables {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  invites: InvitesTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
  api_clients: ApiClientsTable;
  api_keys: ApiKeysTable;
  access_logs: AccessLogsTable;
  apps: AppsTable;
  projects: ProjectsTable;
  pixels: PixelsTable;
  task_leases: TaskLeasesTable;
  identity_imports: IdentityImportsTable;
  audiences: AudiencesTable;
  identity_erasures: IdentityErasuresTable;
}
