// Catalog migration 0010 of audiences: one row per audience holding its definition, its job state
// (status, the running task and its lease, attempts and the next retry, the schedule) and the
// counts of the run whose rows the analytics store serves. Audience ids are integers, as Delivr's
// are: SQLite's INTEGER PRIMARY KEY AUTOINCREMENT and PostgreSQL's identity column.
import { type Migration, PostgresAdapter } from 'kysely';
import { type AnyDb, ms } from '../catalog/migration-kit.js';

export const audiencesMigration: Migration = {
  async up(db: AnyDb) {
    const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema
      .createTable('audiences')
      .addColumn('id', 'integer', (c) => (postgres ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey().autoIncrement()))
      .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
      .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('filter', 'text', (c) => c.notNull())
      .addColumn('refresh_schedule', 'text', (c) => c.notNull())
      .addColumn('intent_window_days', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('renew_time', ms)
      .addColumn('previous_renew_time', ms)
      .addColumn('paused_at', ms)
      .addColumn('pause_reason', 'text')
      .addColumn('task_id', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', ms)
      .addColumn('lease_holder', 'text')
      .addColumn('lease_until', ms)
      .addColumn('error', 'text')
      .addColumn('result_run', 'text')
      .addColumn('record_count', ms, (c) => c.notNull())
      .addColumn('distinct_profile_count', ms, (c) => c.notNull())
      .addColumn('bucket_counts', 'text', (c) => c.notNull())
      .addColumn('created_at', ms, (c) => c.notNull())
      .addColumn('updated_at', ms, (c) => c.notNull())
      .addColumn('completed_at', ms)
      .execute();
    await db.schema.createIndex('audiences_project').on('audiences').columns(['organization_id', 'project_id', 'id']).execute();
    await db.schema.createIndex('audiences_status').on('audiences').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('audiences_renew').on('audiences').column('renew_time').execute();
  },
};
