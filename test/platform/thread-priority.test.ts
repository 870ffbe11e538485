// The server lowers libuv's thread pool (DuckDB's statements, file and crypto work) below its event
// loop (src/platform/thread-priority.ts, POOL_THREAD_NICE): read from /proc, the pool's threads of a
// running server are the configured steps of niceness below the loop, while the loop and the DuckDB
// store's own thread (which writes and syncs the ingest journal) keep theirs; 0 leaves all alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processThreads } from '../../src/platform/thread-priority.js';
import { buildIfStale, type ServerProcess, startServer } from '../support/server-process.js';

const linux = process.platform === 'linux';
const dirs: string[] = [];

async function serverWith(env: Record<string, string>): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'delivr-nice-'));
  dirs.push(dir);
  return startServer({ DATA_DIR: dir, ...env });
}

function byName(pid: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const t of processThreads(pid)) out.set(t.name, [...(out.get(t.name) ?? []), t.nice]);
  return out;
}

describe.skipIf(!linux)('background thread priority', () => {
  beforeAll(() => buildIfStale(), 300_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('puts the pool 10 steps below the event loop, and not the store thread', async () => {
    const server = await serverWith({});
    try {
      const threads = byName(server.child.pid as number);
      // Relative to the loop: the suite itself may run niced.
      const [loop] = threads.get('MainThread') ?? [];
      expect(loop).toBeTypeOf('number');
      const pool = threads.get('libuv-worker') ?? [];
      // libuv's default pool is 4 threads; DuckDB adds its workers under the same name.
      expect(pool.length).toBeGreaterThanOrEqual(4);
      expect(new Set(pool)).toEqual(new Set([Math.min(19, (loop as number) + 10)]));
      // The DuckDB store's thread (DUCKDB_THREAD, on by default) acknowledges events: not lowered.
      expect(threads.get('WorkerThread')).toEqual([loop]);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('takes POOL_THREAD_NICE, and 0 leaves every thread at the loop priority', async () => {
    const low = await serverWith({ POOL_THREAD_NICE: '3' });
    const off = await serverWith({ POOL_THREAD_NICE: '0' });
    try {
      const lowThreads = byName(low.child.pid as number);
      const [loop] = lowThreads.get('MainThread') ?? [];
      expect(new Set(lowThreads.get('libuv-worker'))).toEqual(new Set([Math.min(19, (loop as number) + 3)]));
      const all = processThreads(off.child.pid as number);
      expect(all.length).toBeGreaterThan(5);
      expect(all.filter((t) => t.nice !== loop)).toEqual([]);
    } finally {
      await Promise.all([low.stop(), off.stop()]);
    }
  }, 60_000);
});
