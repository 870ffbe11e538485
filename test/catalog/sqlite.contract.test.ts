// Runs the catalog contract on the embedded SQLite catalog in a fresh temp directory, then checks
// that two processes opening one fresh catalog file at the same moment both start and apply every
// migration exactly once (an operator's CLI call racing the server's first start).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/catalog/catalog.js';
import { openCatalog } from '../../src/catalog/db.js';
import { migrationProvider } from '../../src/catalog/migrations.js';
import { TRACKER_NAMES } from '../../src/pixels/trackers.js';
import { runCatalogContract } from './contract.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'delivr-catalog-contract-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

await runCatalogContract('sqlite', async () => {
  const conn = await openCatalog({ databaseUrl: null, dataDir: tempDir() });
  return new Catalog(conn.db, conn.dialect);
});

// Loads the catalog module, says "ready", waits for "go" on stdin, then opens (and so migrates).
const CHILD = `
import { openCatalog } from './src/catalog/db.ts';
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  try {
    const conn = await openCatalog({ databaseUrl: null, dataDir: process.env.CATALOG_DIR });
    await conn.db.selectFrom('organizations').select('id').execute();
    await conn.db.destroy();
    process.stdout.write('ok\\n');
    process.exit(0);
  } catch (err) {
    process.stdout.write('failed: ' + (err && err.stack || err) + '\\n');
    process.exit(1);
  }
});
`;

function startChild(dir: string): { child: ChildProcess; ready: Promise<void>; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, CATALOG_DIR: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) markReady();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const done = new Promise<{ code: number | null; out: string }>((resolve) => {
    child.on('exit', (code) => {
      markReady();
      resolve({ code, out });
    });
  });
  return { child, ready, done };
}

describe('catalog migrations on SQLite', () => {
  it('two processes migrating one fresh file at once both succeed and apply each migration once', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempDir();
      const children = [startChild(dir), startChild(dir)];
      await Promise.all(children.map((c) => c.ready));
      for (const c of children) c.child.stdin?.write('go\n');
      const results = await Promise.all(children.map((c) => c.done));
      for (const r of results) expect(r, r.out).toMatchObject({ code: 0 });
      const file = new SQLite(join(dir, 'catalog.sqlite'), { readonly: true });
      const names = file.prepare('select name from kysely_migration order by name').all() as { name: string }[];
      file.close();
      expect(names.map((n) => n.name)).toEqual(Object.keys(await migrationProvider.getMigrations()).sort());
    }
  }, 60_000);

  it('pixels made before per-pixel trackers keep every tracker after the upgrade', async () => {
    const dir = tempDir();
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'catalog.sqlite')) }) });
    const migrated = await new Migrator({ db: old, provider: migrationProvider }).migrateTo('0003_projects');
    expect(migrated.error).toBeUndefined();
    const row = { organization_id: 'o', project_id: 'p', title: 't', status: 'active', created_at: 1, updated_at: 1 };
    await sql`insert into organizations (id, name, status, created_at) values ('o', 'o', 'active', 1)`.execute(old);
    await sql`insert into projects (id, organization_id, name, status, created_at, updated_at) values ('p', 'o', 'p', 'active', 1, 1)`.execute(
      old,
    );
    await sql`insert into pixels (id, organization_id, project_id, title, status, created_at, updated_at)
      values ('x', ${row.organization_id}, ${row.project_id}, ${row.title}, ${row.status}, 1, 1)`.execute(old);
    await old.destroy();

    const upgraded = await openCatalog({ databaseUrl: null, dataDir: dir });
    const pixel = await new Catalog(upgraded.db, upgraded.dialect).pixels.getPixel('x');
    await upgraded.db.destroy();
    expect(pixel?.trackers.split(',').sort()).toEqual([...TRACKER_NAMES].sort());
  });

  it('a catalog that ran the later migrations first takes 0009_project_time_zone when it arrives (numbers are reserved ahead)', async () => {
    const dir = tempDir();
    const all = await migrationProvider.getMigrations();
    const withoutZone = {
      getMigrations: async () => Object.fromEntries(Object.entries(all).filter(([name]) => name !== '0009_project_time_zone')),
    };
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new SQLite(join(dir, 'catalog.sqlite')) }) });
    const migrated = await new Migrator({ db: old, provider: withoutZone }).migrateToLatest();
    expect(migrated.error).toBeUndefined();
    await sql`insert into organizations (id, name, status, created_at) values ('o', 'o', 'active', 1)`.execute(old);
    await sql`insert into projects (id, organization_id, name, status, created_at, updated_at) values ('p', 'o', 'p', 'active', 1, 1)`.execute(
      old,
    );
    await old.destroy();

    const upgraded = await openCatalog({ databaseUrl: null, dataDir: dir });
    const project = await sql<{ time_zone: string }>`select time_zone from projects where id = 'p'`.execute(upgraded.db);
    await upgraded.db.destroy();
    expect(project.rows).toEqual([{ time_zone: 'UTC' }]);
  });

  it('opening an already migrated catalog again changes nothing', async () => {
    const dir = tempDir();
    const first = await openCatalog({ databaseUrl: null, dataDir: dir });
    const store = new Catalog(first.db, first.dialect);
    const org = await store.organizations.createOrganization({ name: 'kept', now: 1 });
    await first.db.destroy();
    const again = await openCatalog({ databaseUrl: null, dataDir: dir });
    expect(await new Catalog(again.db, again.dialect).organizations.getOrganization(org.id)).toEqual(org);
    await again.db.destroy();
  });
});
