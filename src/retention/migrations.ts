// Catalog migration of retention and archiving: a per-project retention period (`retention_days`,
// null = keep forever) and the lease row that lets one process at a time run a periodic task such
// as the retention pass. `projects.status` ('active' | 'archived') exists since 0003; archiving only
// starts using its second value. Registered after the core migrations in src/catalog/migrations.ts.
import type { Migration } from 'kysely';
import { type AnyDb, ms } from '../catalog/migration-kit.js';

export const retentionMigrations: Record<string, Migration> = {
  '0006_project_retention': {
    async up(db: AnyDb) {
      await db.schema.alterTable('projects').addColumn('retention_days', 'integer').execute();
      // One row per periodic task: who runs it now (until lease_until) and when a pass last started,
      // so several processes run each pass once per interval between them.
      await db.schema
        .createTable('task_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text')
        .addColumn('lease_until', ms, (c) => c.notNull())
        .addColumn('last_started_at', ms)
        .execute();
    },
  },
};
