// Runs the catalog contract on PostgreSQL when TEST_DATABASE_URL is set (CI provides one), in a
// fresh schema per run that is dropped afterwards, so runs never see each other's rows. Also checks
// that several processes' first starts, migrating one fresh schema at once, all succeed and apply
// each migration exactly once.

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/catalog.js';
import { openCatalog } from '../../src/catalog/db.js';
import { migrationProvider } from '../../src/catalog/migrations.js';
import { runCatalogContract } from './contract.js';

const serverUrl = process.env.TEST_DATABASE_URL;
const runId = `${Date.now()}_${randomBytes(4).toString('hex')}`;
// Generated from digits, letters and underscores only, so they are safe to splice into DDL.
const contractSchema = `delivr_catalog_${runId}`;
const migrationSchema = `delivr_migrate_${runId}`;

/** TEST_DATABASE_URL with every connection's search_path set to `schema`. */
function urlFor(schema: string): string {
  const url = new URL(serverUrl ?? '');
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

if (!serverUrl) {
  console.log('[catalog contract] postgres: skipped, set TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it');
}

await runCatalogContract('postgres', async () => {
  if (!serverUrl) return null;
  await admin((c) => c.query(`CREATE SCHEMA ${contractSchema}`));
  const conn = await openCatalog({ databaseUrl: urlFor(contractSchema), dataDir: '/nonexistent' });
  return new Catalog(conn.db, conn.dialect);
});

afterAll(async () => {
  if (!serverUrl) return;
  await admin(async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS ${contractSchema} CASCADE`);
    await c.query(`DROP SCHEMA IF EXISTS ${migrationSchema} CASCADE`);
  });
});

describe.skipIf(!serverUrl)('catalog migrations on PostgreSQL', () => {
  it('four processes opening one fresh schema at once all succeed and apply each migration once', async () => {
    await admin((c) => c.query(`CREATE SCHEMA ${migrationSchema}`));
    const conns = await Promise.all(
      Array.from({ length: 4 }, () => openCatalog({ databaseUrl: urlFor(migrationSchema), dataDir: '/nonexistent', poolSize: 2 })),
    );
    try {
      for (const conn of conns) await conn.db.selectFrom('organizations').select('id').execute();
      const applied = await admin((c) =>
        c.query<{ name: string }>(`SELECT name FROM ${migrationSchema}.kysely_migration ORDER BY name`).then((r) => r.rows),
      );
      // Every registered migration, each once, in order.
      const registered = Object.keys(await migrationProvider.getMigrations()).sort();
      expect(registered).toEqual(expect.arrayContaining(['0006_project_retention', '0009_project_time_zone']));
      expect(applied.map((r) => r.name)).toEqual(registered);
      // The catalog's tables live in its own schema, not in public.
      const tables = await admin((c) =>
        c.query<{ table_schema: string }>(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'organizations'`),
      );
      expect(tables.rows.map((r) => r.table_schema)).toContain(migrationSchema);
    } finally {
      await Promise.all(conns.map((c) => c.db.destroy()));
    }
  });
});
