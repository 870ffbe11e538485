// Catalog migrations of projects added after the core set: the project's time zone, the zone its
// traffic stats count days in (src/stats). Registered after the core migrations in
// src/catalog/migrations.ts. Existing projects get UTC, which is what their numbers meant so far.
import type { Kysely, Migration } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: migrations run before (and regardless of) the typed schema
type AnyDb = Kysely<any>;

export const projectsMigrations: Record<string, Migration> = {
  '0009_project_time_zone': {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('projects')
        .addColumn('time_zone', 'text', (c) => c.notNull().defaultTo('UTC'))
        .execute();
    },
  },
};
