// A full disk (issue 15): writes that fail for lack of space answer 507 storage_full instead of a
// generic 500, /readyz says not ready until a write succeeds again, and a server started on a full
// or read-only data folder exits with one clear line (no stack trace, no files left behind). The
// data folder is a small tmpfs mounted for the test, filled with a file; the test is skipped where
// this process may not mount one (it needs root).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';
import { buildOnce } from '../support/server-process.js';
import { dash, json, newTenant, type Tenant } from '../support/tenant.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

function mount(dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  return spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status === 0;
}
const umount = (dir: string) => spawnSync('umount', ['-l', dir]);

/** Fills the file system holding `dir` with one file; returns its path. */
function fill(dir: string): string {
  const file = join(dir, 'filler.bin');
  // dd stops at ENOSPC, leaving the file system full.
  spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k'], { stdio: 'ignore' });
  return file;
}

const probeDir = mkdtempSync(join(tmpdir(), 'delivr-mount-probe-'));
const canMount = process.getuid?.() === 0 && mount(probeDir, 'size=1m');
if (canMount) umount(probeDir);
rmSync(probeDir, { recursive: true, force: true });

describe.skipIf(!canMount)('a full data folder', () => {
  let dir = '';
  let t: TestApp;
  let a: Tenant;
  let pixelId = '';
  let filler = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'delivr-full-'));
    expect(mount(dir, 'size=96m')).toBe(true);
    t = await makeTestApp({ DATA_DIR: dir, INGEST_MAX_DELAY_MS: '0' });
    a = await newTenant(t);
    const projectId = json<{ project: { project_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${a.orgId}/projects`,
        headers: dash(a.session),
        payload: { name: 's' },
      }),
    ).project.project_id;
    pixelId = json<{ pixel: { pixel_id: string } }>(
      await t.app.inject({
        method: 'POST',
        url: `/dashboard/api/orgs/${a.orgId}/projects/${projectId}/pixels`,
        headers: dash(a.session),
        payload: { title: 'p' },
      }),
    ).pixel.pixel_id;
  }, 60_000);
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    if (dir) {
      umount(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Enough text that each batch must reach the disk (DuckDB's WAL), not only memory.
  const batch = (n: number) => ({
    events: Array.from({ length: 100 }, (_, i) => ({
      event_type: 'full_disk',
      pixel_id: pixelId,
      organization_id: a.orgId,
      event_url: `https://shop.example/${n}/${i}/${'x'.repeat(500)}`,
      event_data: { pad: 'y'.repeat(1500) },
    })),
  });
  const send = (n: number) =>
    t.app.inject({ method: 'POST', url: '/pixel/core/api/send-event', headers: { 'content-type': 'application/json' }, payload: batch(n) });

  it('answers 507 storage_full when a write fails for lack of space, and /readyz is not ready until writes succeed again', async () => {
    expect((await send(0)).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(200);
    filler = fill(dir);
    let res = await send(1);
    for (let n = 2; res.statusCode === 200 && n < 200; n++) res = await send(n);
    expect(res.statusCode, res.body).toBe(507);
    expect(res.json()).toEqual({
      error: 'The server has no storage space left; nothing was stored.',
      code: 'storage_full',
      details: 'free space on the server, then retry',
    });
    const notReady = await t.app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ status: 'not ready', checks: { storage: 'unavailable' } });
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/^delivr_storage_full 1$/m);

    rmSync(filler);
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', checks: { storage: 'ok' } });
    const again = await send(1000);
    expect(again.statusCode, again.body).toBe(200);
    expect((await t.app.inject({ url: '/metrics' })).body).toMatch(/^delivr_storage_full 0$/m);
    // The probe left nothing behind.
    expect(readdirSync(dir).filter((f) => f.startsWith('.delivr-probe'))).toEqual([]);
  }, 120_000);
});

describe.skipIf(!canMount)('starting on a data folder that cannot be written', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) {
      umount(d);
      rmSync(d, { recursive: true, force: true });
    }
  });

  const start = (dataDir: string) => {
    buildOnce();
    return spawnSync(process.execPath, [join(ROOT, 'dist', 'server.js')], {
      cwd: tmpdir(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        PORT: '0',
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
  };

  it('a full one: exits 2 with one line saying so, and leaves no file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivr-start-full-'));
    dirs.push(dir);
    expect(mount(dir, 'size=4m')).toBe(true);
    const filler = fill(dir);
    const r = start(dir);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `delivr: the data folder ${dir} has no space left (ENOSPC): free at least 1 MiB there, or set DATA_DIR to another folder`,
    ]);
    expect(readdirSync(dir)).toEqual([filler.split('/').pop()]);
  }, 60_000);

  it('a read-only one: exits 2 with one line saying so', () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivr-start-ro-'));
    dirs.push(dir);
    expect(mount(dir, 'size=4m')).toBe(true);
    writeFileSync(join(dir, 'keep.txt'), 'x');
    expect(spawnSync('mount', ['-o', 'remount,ro', dir]).status).toBe(0);
    const r = start(dir);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `delivr: the data folder ${dir} is not writable (EROFS): make it writable for this user, or set DATA_DIR to a writable folder`,
    ]);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  }, 60_000);
});
