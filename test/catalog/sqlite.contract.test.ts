// Runs the catalog contract on the embedded SQLite catalog in a fresh temp directory, then checks
// that two processes opening one fresh catalog file at the same moment both start and apply every
// migration exactly once (an operator's CLI call racing the server's first start).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/db.js';
import { CatalogStore } from '../../src/catalog/store.js';
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
  return new CatalogStore(conn.db, conn.dialect);
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
      expect(names.map((n) => n.name)).toEqual(['0001_accounts', '0002_credentials', '0003_projects']);
    }
  }, 60_000);

  it('opening an already migrated catalog again changes nothing', async () => {
    const dir = tempDir();
    const first = await openCatalog({ databaseUrl: null, dataDir: dir });
    const store = new CatalogStore(first.db, first.dialect);
    const org = await store.createOrganization({ name: 'kept', now: 1 });
    await first.db.destroy();
    const again = await openCatalog({ databaseUrl: null, dataDir: dir });
    expect(await new CatalogStore(again.db, again.dialect).getOrganization(org.id)).toEqual(org);
    await again.db.destroy();
  });
});
