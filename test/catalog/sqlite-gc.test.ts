// The SQLite catalog must survive garbage collection on every supported Node line. better-sqlite3 12
// wrapped statements in node::ObjectWrap, whose destructor aborts the process on Node 24 when V8
// collects a statement outside a JavaScript context (idle GC, exit): "Assertion failed: (env) !=
// nullptr". Kysely prepares a statement per distinct query and the catalog's statement cache
// evicts old ones, so a busy server produces exactly such garbage. This runs that in a child process
// (a crash is an abort, not an exception) and checks it exits cleanly.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'delivr-sqlite-gc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
import { sql } from 'kysely';
import { openCatalog } from './src/catalog/db.ts';
const conn = await openCatalog({ databaseUrl: null, dataDir: process.env.CATALOG_DIR });
for (let i = 0; i < 4000; i++) await sql\`select \${sql.raw(String(i))} as x\`.execute(conn.db);
// Let V8 collect the evicted statements on its own schedule (idle and memory-reducing GCs).
let junk = Array.from({ length: 200000 }, (_, i) => ({ i }));
await new Promise((resolve) => setTimeout(resolve, 1500));
junk = null;
await conn.db.destroy();
process.stdout.write('ok\\n');
`;

describe('SQLite catalog on this Node', () => {
  it(`runs thousands of distinct queries, idles and exits cleanly on Node ${process.versions.node}`, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: ROOT,
      env: { ...process.env, CATALOG_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    expect({ code, signal, out: out.slice(0, 2000) }).toEqual({ code: 0, signal: null, out: 'ok\n' });
  });
});
