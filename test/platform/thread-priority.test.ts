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

/** The event loop's niceness (the process's first thread: its id is the pid) and the pool's. */
function niceness(pid: number): { loop: number | undefined; pool: number[]; others: number[] } {
  const threads = processThreads(pid);
  return {
    loop: threads.find((t) => t.tid === pid)?.nice,
    pool: threads.filter((t) => t.name === 'libuv-worker').map((t) => t.nice),
    // Node 24 names its threads (MainThread, WorkerThread, V8Worker); Node 22 calls them all "node".
    others: threads.filter((t) => t.name !== 'libuv-worker').map((t) => t.nice),
  };
}

describe.skipIf(!linux)('background thread priority', () => {
  beforeAll(() => buildIfStale(), 300_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('puts the pool 10 steps below the event loop, and no other thread', async () => {
    const server = await serverWith({});
    try {
      // Relative to the loop: the suite itself may run niced.
      const { loop, pool, others } = niceness(server.child.pid as number);
      expect(loop).toBeTypeOf('number');
      // libuv's default pool is 4 threads; DuckDB adds its workers under the same name.
      expect(pool.length).toBeGreaterThanOrEqual(4);
      expect(new Set(pool)).toEqual(new Set([Math.min(19, (loop as number) + 10)]));
      // The DuckDB store's thread (DUCKDB_THREAD, on by default) acknowledges events: not lowered, as V8's.
      expect(others.length).toBeGreaterThanOrEqual(3);
      expect(new Set(others)).toEqual(new Set([loop]));
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('takes POOL_THREAD_NICE, and 0 leaves every thread at the loop priority', async () => {
    const low = await serverWith({ POOL_THREAD_NICE: '3' });
    const off = await serverWith({ POOL_THREAD_NICE: '0' });
    try {
      const lowered = niceness(low.child.pid as number);
      expect(new Set(lowered.pool)).toEqual(new Set([Math.min(19, (lowered.loop as number) + 3)]));
      const all = processThreads(off.child.pid as number);
      const loop = niceness(off.child.pid as number).loop;
      expect(all.length).toBeGreaterThan(5);
      expect(all.filter((t) => t.nice !== loop)).toEqual([]);
    } finally {
      await Promise.all([low.stop(), off.stop()]);
    }
  }, 60_000);
});
