// The server's background threads yield the CPU to its event loop. libuv's thread pool runs every
// DuckDB statement (the journal's moves into `events`, the stats folds, reads, audience builds) and
// the process's file and crypto work; under load those threads competed for the same cores with the
// event loop, which answers and acknowledges every request. POOL_THREAD_NICE (10 by default) puts
// them that many steps of Linux thread niceness below the loop, so they run on what the loop and the
// store's own thread leave. Acknowledgements never wait for the pool: the store's thread writes and
// syncs the journal itself (analytics/duckdb-journal.ts), and the moves catch up when the loop idles.
// Measured in docs/ingest.md, "Background threads".
import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** What libuv names its pool's threads (DuckDB's own workers, started from them, inherit the name). */
const POOL_THREAD = 'libuv-worker';

export interface ThreadInfo {
  tid: number;
  name: string;
  nice: number;
  /** CPU time the thread has used (user + system), in ms. */
  cpuMs: number;
}

/** A process's threads with their names, niceness and CPU time, from /proc (Linux; empty elsewhere). */
export function processThreads(pid: number | 'self' = 'self'): ThreadInfo[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadInfo[] = [];
  for (const tid of tids) {
    try {
      const line = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = line.slice(line.indexOf('(') + 1, line.lastIndexOf(')'));
      // The fields after the name, from field 3 (state): utime and stime are 14 and 15, nice 19.
      const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(tid), name, nice: Number(f[16]), cpuMs: (Number(f[11]) + Number(f[12])) * 10 });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/**
 * Puts the libuv pool's threads `steps` of niceness below the calling thread (the event loop; at
 * most 19, the lowest) and returns how many it set; 0 leaves them alone. The pool is started first
 * (libuv makes all its threads at the first piece of work), so none is made later with the loop's
 * priority. Lowering a thread's priority needs no privilege; a thread already that low is left.
 */
export async function lowerPoolThreads(steps: number): Promise<number> {
  if (steps === 0 || process.platform !== 'linux') return 0;
  await stat('.');
  const nice = Math.min(19, getPriority() + steps);
  let set = 0;
  for (const t of processThreads()) {
    if (t.name !== POOL_THREAD || t.nice >= nice) continue;
    try {
      setPriority(t.tid, nice);
      set += 1;
    } catch {
      // Not permitted here (a container's policy): the threads keep the loop's priority.
    }
  }
  return set;
}
