// The catalog migration of identity imports: the `identity_imports` table (one row per upload, its
// counters and first errors). Registered in catalog/migrations.ts; written with Kysely's schema
// builder so it runs on SQLite and PostgreSQL alike.
import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and regardless of) the typed schema
type AnyDb = Kysely<any>;

export const identityImportsMigration: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable('identity_imports')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('bytes_total', 'bigint', (c) => c.notNull())
      .addColumn('bytes_read', 'bigint', (c) => c.notNull())
      .addColumn('rows_read', 'bigint', (c) => c.notNull())
      .addColumn('rows_imported', 'bigint', (c) => c.notNull())
      .addColumn('rows_rejected', 'bigint', (c) => c.notNull())
      .addColumn('errors', 'text', (c) => c.notNull())
      .addColumn('failure', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('identity_imports_org').on('identity_imports').columns(['organization_id', 'created_at']).execute();
  },
};
