// One list of migrations for SQLite and PostgreSQL, written with Kysely's schema builder so the same
// code runs on both. Two processes starting at once apply each migration exactly once: PostgreSQL
// through Kysely's advisory lock, SQLite through its database write lock (see migrateToLatest).
import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { accountSecurityMigrations } from '../accounts/migrations.js';
import { accessLogMigrations } from '../api-keys/migrations.js';
import { audiencesMigration } from '../audiences/migration.js';
import { identityErasuresMigration } from '../identity/erasures.js';
import { identityImportsMigration } from '../identity-import/migration.js';
import { pixelMigrations } from '../pixels/migrations.js';
import { projectsMigrations } from '../projects/migrations.js';
import { retentionMigrations } from '../retention/migrations.js';
import { taxonomyMigrations } from '../taxonomy/migrations.js';
import { type AnyDb, ms } from './migration-kit.js';

const migrations: Record<string, Migration> = {
  '0001_accounts': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('first_name', 'text')
        .addColumn('last_name', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('memberships')
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addPrimaryKeyConstraint('memberships_pk', ['organization_id', 'user_id'])
        .execute();
      await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();
      await db.schema
        .createTable('invites')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('invited_by', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('accepted_at', ms)
        .addColumn('cancelled_at', ms)
        .execute();
      await db.schema.createIndex('invites_org').on('invites').columns(['organization_id', 'email']).execute();
      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('revoked_at', ms)
        .execute();
      await db.schema
        .createTable('password_resets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('used_at', ms)
        .execute();
    },
  },
  '0002_credentials': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('api_clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('deleted_at', ms)
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('client_id', 'text')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'text')
        .addColumn('secret_required', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('last_used_at', ms)
        .addColumn('revoked_at', ms)
        .addColumn('secret_rotated_at', ms)
        .execute();
      await db.schema.createIndex('api_keys_org').on('api_keys').column('organization_id').execute();
      await db.schema
        .createTable('access_logs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('status', 'integer', (c) => c.notNull())
        .addColumn('ts', ms, (c) => c.notNull())
        .addColumn('ip', 'text')
        .execute();
      await db.schema.createIndex('access_logs_key_ts').on('access_logs').columns(['key_id', 'ts']).execute();
      await db.schema
        .createTable('apps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('deleted_at', ms)
        .execute();
    },
  },
  '0003_projects': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('projects')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('projects_org').on('projects').column('organization_id').execute();
      await db.schema
        .createTable('pixels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('respect_privacy', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms, (c) => c.notNull())
        .addColumn('deleted_at', ms)
        .addColumn('first_event_at', ms)
        .execute();
      await db.schema.createIndex('pixels_project').on('pixels').column('project_id').execute();
    },
  },
  '0004_pixel_trackers': {
    async up(db: AnyDb) {
      // Optional trackers, comma-separated (src/pixels/trackers.ts). Pixels made before this column
      // had every tracker: they keep them. New pixels get the default list from the service.
      await db.schema
        .alterTable('pixels')
        .addColumn('trackers', 'text', (c) => c.notNull().defaultTo('spa,clicks,forms,downloads,scroll,exit,idle,copy,video'))
        .execute();
    },
  },
  ...taxonomyMigrations,
  ...retentionMigrations,
  ...accountSecurityMigrations,
  '0008_identity_imports': identityImportsMigration,
  '0010_audiences': audiencesMigration,
  ...accessLogMigrations,
  ...pixelMigrations,
  ...projectsMigrations,
  '0013_identity_erasures': identityErasuresMigration,
};

export const migrationProvider: MigrationProvider = { getMigrations: async () => migrations };

async function runMigrator(db: AnyDb, migrationTableSchema: string | undefined): Promise<void> {
  // Unordered: numbers are reserved when work starts, so a migration may land after higher numbers
  // did (0009_project_time_zone after 0010-0012); a catalog that already ran those applies it then.
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    allowUnorderedMigrations: true,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error ?? failed?.migrationName);
    throw new Error(`catalog migration failed: ${reason}`);
  }
}

export async function migrateToLatest(db: AnyDb, dialect: 'sqlite' | 'postgres'): Promise<void> {
  if (dialect === 'postgres') {
    // Kysely looks for its migration table in every schema unless told which one, so a catalog in
    // its own schema would take another schema's kysely_migration for its own. Name ours.
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    await runMigrator(db, rows[0]?.schema ?? undefined);
    return;
  }
  // Kysely's SQLite adapter takes no lock and no transaction (it assumes one process). Hold SQLite's
  // write lock for the whole run instead: a second process starting at the same moment waits
  // (busy_timeout), then finds every migration applied; a failed migration leaves nothing half-done.
  await sql`begin immediate`.execute(db);
  try {
    await runMigrator(db, undefined);
    await sql`commit`.execute(db);
  } catch (err) {
    await sql`rollback`.execute(db).catch(() => undefined);
    throw err;
  }
}
