// The DuckDB analytics store's own thread (duckdb-threaded.ts starts it): it owns the DuckDB
// instance, so converting rows, appending them and committing never run on the server's event
// loop. Calls arrive as { id, method, args } and are answered with { id, value } or { id, error };
// scanDerivedEventIds streams its ids back in slices before its answer.
import { parentPort, workerData } from 'node:worker_threads';
import { DuckDbAnalyticsStore, type DuckDbStoreOptions } from './duckdb.js';
import type { StoreCall, StoreReply } from './duckdb-threaded.js';

const port = parentPort;
if (!port) throw new Error('duckdb-worker.ts runs as a worker thread (duckdb-threaded.ts)');
const { path, options } = workerData as { path: string; options: DuckDbStoreOptions };
const reply = (message: StoreReply): void => port.postMessage(message);
const store = new DuckDbAnalyticsStore(path, { ...options, onBackgroundFailure: (task, error) => reply({ failure: { task, error } }) });
const SCAN_SLICE = 10_000;
/** The abortable reads under way, by call id: an `{ abort }` message stops one as its signal would have. */
const aborts = new Map<number, AbortController>();

type Call = Exclude<StoreCall, { abort: number }>;

async function answer(call: Call): Promise<unknown> {
  if (call.method === 'scanDerivedEventIds') {
    let ids: string[] = [];
    let received: number[] = [];
    const send = (): void => {
      if (ids.length > 0) reply({ id: call.id, slice: { ids, received } });
      ids = [];
      received = [];
    };
    await store.scanDerivedEventIds(call.args[0], (eventId, receivedMs) => {
      ids.push(eventId);
      received.push(receivedMs);
      if (ids.length >= SCAN_SLICE) send();
    });
    send();
    return undefined;
  }
  const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
  if (!('abortable' in call && call.abortable)) return method.apply(store, call.args);
  const controller = new AbortController();
  aborts.set(call.id, controller);
  const args = [...call.args];
  args[args.length - 1] = { ...(args[args.length - 1] as object), signal: controller.signal };
  try {
    return await method.apply(store, args);
  } finally {
    aborts.delete(call.id);
  }
}

port.on('message', (call: StoreCall) => {
  if ('abort' in call) {
    aborts.get(call.abort)?.abort(new Error('the query was cancelled'));
    return;
  }
  answer(call).then(
    (value) => reply({ id: call.id, value }),
    (err: unknown) => reply({ id: call.id, error: err instanceof Error ? err : new Error(String(err)) }),
  );
});
