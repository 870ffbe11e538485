// Catalog migration of account security (issue 15): a credentials version per person, bumped by a
// password reset so every JWT and session issued before it stops working; each organization's
// choice whether its API keys must send their secret; and the sign-ups waiting for their emailed
// confirmation (LOGIN_HIDE_UNKNOWN_USERS). Registered after the core migrations in
// src/catalog/migrations.ts.
import { type Migration, sql } from 'kysely';
import { type AnyDb, ms } from '../catalog/migration-kit.js';

export const accountSecurityMigrations: Record<string, Migration> = {
  '0007_account_security': {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('users')
        .addColumn('credentials_version', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .execute();
      await db.schema
        .alterTable('sessions')
        .addColumn('credentials_version', 'integer', (c) => c.notNull().defaultTo(sql`0`))
        .execute();
      // Existing organizations keep what the seeds call the default: the secret is required.
      await db.schema
        .alterTable('organizations')
        .addColumn('secret_required', 'integer', (c) => c.notNull().defaultTo(sql`1`))
        .execute();
      await db.schema
        .createTable('signup_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('first_name', 'text', (c) => c.notNull())
        .addColumn('last_name', 'text', (c) => c.notNull())
        .addColumn('organization_name', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('expires_at', ms, (c) => c.notNull())
        .addColumn('used_at', ms)
        .execute();
    },
  },
};
