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
const store = new DuckDbAnalyticsStore(path, options);
const SCAN_SLICE = 10_000;

const reply = (message: StoreReply): void => port.postMessage(message);

async function answer(call: StoreCall): Promise<unknown> {
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
  return method.apply(store, call.args);
}

port.on('message', (call: StoreCall) => {
  answer(call).then(
    (value) => reply({ id: call.id, value }),
    (err: unknown) => reply({ id: call.id, error: err instanceof Error ? err : new Error(String(err)) }),
  );
});
