// Opens the catalog database: SQLite under DATA_DIR by default, PostgreSQL when DATABASE_URL is a
// postgres:// URL. Both return numbers for bigint columns so the rest of the code sees one shape.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect, type SqliteStatement } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrations.js';
import type { CatalogDb } from './schema.js';

export interface CatalogConnection {
  db: Kysely<CatalogDb>;
  dialect: 'sqlite' | 'postgres';
}

const INT8_OID = 20;

/**
 * Switching a new file to WAL needs an exclusive lock, and SQLite answers "busy" at once instead of
 * waiting when another process (a CLI call, a second server) opens the same new file at that moment.
 * Retry for a while; once one process has switched, WAL is a property of the file.
 */
async function enableWal(file: SQLite.Database): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      file.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const busy = err instanceof SQLite.SqliteError && err.code.startsWith('SQLITE_BUSY');
      if (!busy || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40));
    }
  }
}

/**
 * Kysely prepares every query anew, and on the per-request key lookup SQLite's prepare cost as much
 * as running it. Keep the most recent statements; Kysely uses one connection at a time, so a cached
 * statement is never run twice at once, and SQLite re-prepares it by itself after a schema change.
 */
function withStatementCache(file: SQLite.Database, size = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = file.prepare(sql);
        if (cache.size >= size) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, stmt);
      return stmt;
    },
    close: () => file.close(),
  };
}

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
    file.pragma('busy_timeout = 5000');
    await enableWal(file);
    file.pragma('synchronous = NORMAL');
    file.pragma('foreign_keys = ON');
    conn = { db: new Kysely<CatalogDb>({ dialect: new SqliteDialect({ database: withStatementCache(file) }) }), dialect: 'sqlite' };
  }
  await migrateToLatest(conn.db, conn.dialect);
  return conn;
}
