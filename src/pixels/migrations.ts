// Catalog migrations of pixels added after the core set: the hosts a pixel's redirects may go to
// (src/pixels/redirect-hosts.ts). Registered after the core migrations in src/catalog/migrations.ts.
import type { Migration } from 'kysely';
import type { AnyDb } from '../catalog/migration-kit.js';

export const pixelMigrations: Record<string, Migration> = {
  '0011_pixel_redirect_hosts': {
    async up(db: AnyDb) {
      // Comma-separated host names; existing pixels start with none, so their redirects stop until
      // the owner registers where they go (an open redirect is not kept for compatibility).
      await db.schema
        .alterTable('pixels')
        .addColumn('redirect_hosts', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },
  },
};
