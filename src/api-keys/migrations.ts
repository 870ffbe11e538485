// Catalog migration of the access log's aggregation: one row per key, method, path, status and
// minute with the number of requests it stands for (`count`), instead of one row per request. The
// unique index is the upsert's conflict target; rows written before it have no `minute` (NULL never
// conflicts), so they stay as they were, each counting one request. Registered in src/catalog/migrations.ts.
import type { Migration } from 'kysely';
import type { AnyDb } from '../catalog/migration-kit.js';

export const accessLogMigrations: Record<string, Migration> = {
  '0012_access_log_minutes': {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('access_logs')
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('access_logs').addColumn('minute', 'bigint').execute();
      await db.schema
        .createIndex('access_logs_minute')
        .on('access_logs')
        .columns(['key_id', 'minute', 'method', 'path', 'status', 'organization_id'])
        .unique()
        .execute();
    },
  },
};
