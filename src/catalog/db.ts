// Opens the catalog database: SQLite under DATA_DIR by default, PostgreSQL when DATABASE_URL is a
// postgres:// URL. Both return numbers for bigint columns so the rest of the code sees one shape.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { CatalogDb } from './schema.js';

export interface CatalogConnection {
  db: Kysely<CatalogDb>;
  dialect: 'sqlite' | 'postgres';
}

const INT8_OID = 20;

export async function openCatalog(opts: { databaseUrl: string | null; dataDir: string; poolSize?: number }): Promise<CatalogConnection> {
  let conn: CatalogConnection;
  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    conn = { db: new Kysely<CatalogDb>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
  } else {
    const file = new SQLite(join(opts.dataDir, 'catalog.sqlite'));
    file.pragma('journal_mode = WAL');
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    file.pragma('busy_timeout = 5000');
    conn = { db: new Kysely<CatalogDb>({ dialect: new SqliteDialect({ database: file }) }), dialect: 'sqlite' };
  }
  await migrateToLatest(conn.db);
  return conn;
}
