// Catalog migrations of the taxonomy: the shared catalog (categories, subcategories, topics), custom
// topic requests and their review history, and the build marker that makes the start-up build
// idempotent. Registered after the core migrations in src/catalog/migrations.ts.
import type { CreateTableBuilder, Migration } from 'kysely';
import { type AnyDb, ms } from '../catalog/migration-kit.js';

/** The columns a category and a subcategory share after their ids: where it comes from, what it is, whether it is in use. */
const catalogNode = <TB extends string, C extends string>(table: CreateTableBuilder<TB, C>) =>
  table
    .addColumn('source_ref', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms);

export const taxonomyMigrations: Record<string, Migration> = {
  '0005_taxonomy': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('taxonomy_categories')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .$call(catalogNode)
        .execute();
      await db.schema
        .createTable('taxonomy_subcategories')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('category_id', 'text', (c) => c.notNull().references('taxonomy_categories.id'))
        .$call(catalogNode)
        .execute();
      await db.schema.createIndex('taxonomy_subcategories_category').on('taxonomy_subcategories').column('category_id').execute();
      await db.schema
        .createTable('taxonomy_topics')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('category_id', 'text', (c) => c.references('taxonomy_categories.id'))
        .addColumn('subcategory_id', 'text', (c) => c.references('taxonomy_subcategories.id'))
        .addColumn('organization_id', 'text', (c) => c.references('organizations.id'))
        .addColumn('source_ref', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('keywords', 'text', (c) => c.notNull())
        .addColumn('search_text', 'text', (c) => c.notNull())
        .addColumn('topic_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms)
        .execute();
      await db.schema.createIndex('taxonomy_topics_subcategory').on('taxonomy_topics').column('subcategory_id').execute();
      await db.schema.createIndex('taxonomy_topics_category').on('taxonomy_topics').column('category_id').execute();
      await db.schema.createIndex('taxonomy_topics_org').on('taxonomy_topics').column('organization_id').execute();
      await db.schema
        .createTable('taxonomy_topic_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id'))
        .addColumn('topic_id', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('keywords', 'text', (c) => c.notNull())
        .addColumn('category_id', 'text')
        .addColumn('subcategory_id', 'text')
        .addColumn('topic_type', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('review_note', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .addColumn('updated_at', ms)
        .addColumn('reviewed_at', ms)
        .execute();
      await db.schema
        .createIndex('taxonomy_topic_requests_org')
        .on('taxonomy_topic_requests')
        .columns(['organization_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('taxonomy_topic_requests_status')
        .on('taxonomy_topic_requests')
        .columns(['status', 'created_at'])
        .execute();
      await db.schema
        .createTable('taxonomy_topic_reviews')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('topic_request_id', 'text', (c) => c.notNull().references('taxonomy_topic_requests.id'))
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('topic_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', ms, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('taxonomy_topic_reviews_topic')
        .on('taxonomy_topic_reviews')
        .columns(['topic_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('taxonomy_builds')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('built_at', ms, (c) => c.notNull())
        .execute();
    },
  },
};
