// The embedded analytics store on a thread of its own. DuckDB allows one instance per file and
// process, so the thread (duckdb-worker.ts) owns the whole instance: the writer, whose row
// conversion, appender and commit cost about half of all ingest CPU and used to run on the event
// loop, and the readers. This class is the AnalyticsStore the server sees; each call is a message
// to the thread and its answer a message back (structured clone: rows out, records and Sets in).
// With two cores the event loop parses and answers requests while the other core stores them.

import { createRequire } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type DuckDbStoreOptions, openPaths } from './duckdb.js';
import type { AnalyticsStore, QueryOptions } from './types.js';

/** Every store method, the optional ones (CSV import) included: the thread's store has them all. */
type Full = Required<AnalyticsStore>;
type Forwarded = Exclude<keyof Full, 'engine' | 'scanDerivedEventIds'>;

/**
 * A call to the thread. An AbortSignal cannot cross it: a read's `{ signal }` option is sent as
 * `abortable: true` (its place in the arguments left as `{ timeoutMs }`), and the signal's abort as
 * an `{ abort: id }` message, on which the thread aborts the read as the in-process store would.
 */
export type StoreCall =
  | { id: number; method: Forwarded; args: unknown[]; abortable?: boolean }
  | { id: number; method: 'scanDerivedEventIds'; args: [number] }
  | { id: number; method: 'foldStats'; args: [] }
  | { abort: number };

export type StoreReply =
  | { id: number; value: unknown }
  | { id: number; error: Error }
  /** A slice of scanDerivedEventIds' ids, before its answer. */
  | { id: number; slice: { ids: string[]; received: number[] } }
  /** Background work of the store failed (DuckDbStoreOptions.onBackgroundFailure, which cannot cross the thread). */
  | { failure: { task: string; error: unknown } };

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  each?: (eventId: string, receivedMs: number) => void;
}

export class ThreadedDuckDbStore implements AnalyticsStore {
  readonly engine = 'duckdb' as const;
  private readonly path: string;
  private worker: Worker | null = null;
  /** Why the thread stopped, once it did: every later call fails with it. */
  private dead: Error | null = null;
  private closed = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** The calls under way, which close() lets finish. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    path: string,
    private readonly options: DuckDbStoreOptions = {},
  ) {
    this.path = path === ':memory:' ? path : resolvePath(path);
  }

  async init(): Promise<void> {
    if (this.closed) throw new Error('analytics store is closed');
    if (!this.worker) this.start();
    await this.call('init', []);
  }

  readonly appendEvents: AnalyticsStore['appendEvents'] = (...a) => this.call('appendEvents', a);
  readonly journalStats: Full['journalStats'] = (...a) => this.call('journalStats', a);
  readonly queryEvents: AnalyticsStore['queryEvents'] = (...a) => this.call('queryEvents', a);
  readonly countEvents: AnalyticsStore['countEvents'] = (...a) => this.call('countEvents', a);
  readonly countByBucket: AnalyticsStore['countByBucket'] = (...a) => this.call('countByBucket', a);
  readonly countByValue: AnalyticsStore['countByValue'] = (...a) => this.call('countByValue', a);
  readonly findEventIds: AnalyticsStore['findEventIds'] = (...a) => this.call('findEventIds', a);
  readonly deleteEventsBefore: AnalyticsStore['deleteEventsBefore'] = (...a) => this.call('deleteEventsBefore', a);
  readonly mergeProfiles: AnalyticsStore['mergeProfiles'] = (...a) => this.call('mergeProfiles', a);
  readonly getProfiles: AnalyticsStore['getProfiles'] = (...a) => this.call('getProfiles', a);
  readonly linkVisitors: AnalyticsStore['linkVisitors'] = (...a) => this.call('linkVisitors', a);
  readonly stageCsv: Full['stageCsv'] = (...a) => this.call('stageCsv', a);
  readonly commitCsv: Full['commitCsv'] = (...a) => this.call('commitCsv', a);
  readonly discardCsv: Full['discardCsv'] = (...a) => this.call('discardCsv', a);
  readonly linksOfVisitors: AnalyticsStore['linksOfVisitors'] = (...a) => this.call('linksOfVisitors', a);
  readonly linksOfPerson: AnalyticsStore['linksOfPerson'] = (...a) => this.call('linksOfPerson', a);
  readonly unlink: AnalyticsStore['unlink'] = (...a) => this.call('unlink', a);
  readonly listPeople: AnalyticsStore['listPeople'] = (...a) => this.call('listPeople', a);
  readonly erasePerson: AnalyticsStore['erasePerson'] = (...a) => this.call('erasePerson', a);
  readonly savePages: AnalyticsStore['savePages'] = (...a) => this.call('savePages', a);
  readonly pagesNotAt: AnalyticsStore['pagesNotAt'] = (...a) => this.call('pagesNotAt', a);
  readonly topicDays: AnalyticsStore['topicDays'] = (...a) => this.call('topicDays', a);
  readonly firstDays: AnalyticsStore['firstDays'] = (...a) => this.call('firstDays', a);
  readonly organizationActivity: AnalyticsStore['organizationActivity'] = (...a) => this.call('organizationActivity', a);
  readonly topicPages: AnalyticsStore['topicPages'] = (...a) => this.call('topicPages', a);
  readonly companyPeople: AnalyticsStore['companyPeople'] = (...a) => this.call('companyPeople', a);
  readonly writeAudienceRows: AnalyticsStore['writeAudienceRows'] = (...a) => this.call('writeAudienceRows', a);
  readonly readAudienceRows: AnalyticsStore['readAudienceRows'] = (...a) => this.call('readAudienceRows', a);
  readonly deleteAudienceRuns: AnalyticsStore['deleteAudienceRuns'] = (...a) => this.call('deleteAudienceRuns', a);
  readonly deleteAudienceMembers: AnalyticsStore['deleteAudienceMembers'] = (...a) => this.call('deleteAudienceMembers', a);
  readonly statsTotals: AnalyticsStore['statsTotals'] = (...a) => this.call('statsTotals', a);
  readonly statsTimeseries: AnalyticsStore['statsTimeseries'] = (...a) => this.call('statsTimeseries', a);
  readonly statsBreakdown: AnalyticsStore['statsBreakdown'] = (...a) => this.call('statsBreakdown', a);
  readonly statsRealtimeVisitors: AnalyticsStore['statsRealtimeVisitors'] = (...a) => this.call('statsRealtimeVisitors', a);

  /** Folds every committed event into the stats rollups now (benches and tests; the store does it by itself). */
  foldStats(): Promise<void> {
    return this.send({ id: this.nextId++, method: 'foldStats', args: [] }).then(() => undefined);
  }
  readonly stageIntentScores: AnalyticsStore['stageIntentScores'] = (...a) => this.call('stageIntentScores', a);
  readonly writeIntentAudience: AnalyticsStore['writeIntentAudience'] = (...a) => this.call('writeIntentAudience', a);
  readonly dropIntentStage: AnalyticsStore['dropIntentStage'] = (...a) => this.call('dropIntentStage', a);

  scanDerivedEventIds(receivedSinceMs: number, each: (eventId: string, receivedMs: number) => void): Promise<void> {
    return this.send({ id: this.nextId++, method: 'scanDerivedEventIds', args: [receivedSinceMs] }, each).then(() => undefined);
  }

  /** Waits for the calls under way, closes the store on its thread (a checkpoint), then ends the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    await Promise.allSettled([...this.inFlight]);
    try {
      if (!this.dead) await this.send({ id: this.nextId++, method: 'close', args: [] });
    } finally {
      await worker.terminate();
      this.worker = null;
      openPaths.delete(this.path);
    }
  }

  private start(): void {
    // One instance per file and process, the same rule the in-thread store keeps (duckdb.ts).
    if (this.path !== ':memory:' && openPaths.has(this.path)) {
      throw new Error(`analytics store ${this.path} is already open in this process; share one store`);
    }
    if (this.path !== ':memory:') openPaths.add(this.path);
    // A function cannot cross the thread: the thread reports background failures as messages instead.
    const { onBackgroundFailure: _reported, ...options } = this.options;
    const worker = new Worker(workerFile(), { workerData: { path: this.path, options }, ...workerFlags() });
    worker.on('message', (reply: StoreReply) => this.settle(reply));
    worker.on('error', (err) => this.stop(err));
    worker.on('exit', (code) => this.stop(new Error(`analytics store thread exited (code ${code})`)));
    // The thread must not keep a server that is shutting down alive; open calls keep it referenced.
    worker.unref();
    this.worker = worker;
  }

  private call<K extends Forwarded>(method: K, args: Parameters<Full[K]>): ReturnType<Full[K]> {
    if (this.closed && method !== 'close') return Promise.reject(new Error('analytics store is closed')) as ReturnType<Full[K]>;
    const id = this.nextId++;
    const last = args[args.length - 1];
    const signal = isReadOptions(last) ? last.signal : undefined;
    if (!signal) return this.send({ id, method, args }) as ReturnType<Full[K]>;
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted')) as ReturnType<Full[K]>;
    const { signal: _dropped, ...rest } = last as QueryOptions;
    const onAbort = (): void => this.worker?.postMessage({ abort: id } satisfies StoreCall);
    signal.addEventListener('abort', onAbort, { once: true });
    const answer = this.send({ id, method, args: [...args.slice(0, -1), rest], abortable: true });
    const done = (): void => signal.removeEventListener('abort', onAbort);
    answer.then(done, done);
    return answer as ReturnType<Full[K]>;
  }

  private send(call: Exclude<StoreCall, { abort: number }>, each?: Pending['each']): Promise<unknown> {
    const worker = this.worker;
    if (this.dead) return Promise.reject(this.dead);
    if (!worker) return Promise.reject(new Error('analytics store is not initialised; call init() first'));
    const answer = new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(call.id, each ? { resolve, reject, each } : { resolve, reject });
      worker.postMessage(call);
    });
    this.inFlight.add(answer);
    const forget = (): void => {
      this.inFlight.delete(answer);
    };
    answer.then(forget, forget);
    return answer;
  }

  private settle(reply: StoreReply): void {
    if ('failure' in reply) {
      this.options.onBackgroundFailure?.(reply.failure.task, reply.failure.error);
      return;
    }
    const p = this.pending.get(reply.id);
    if (!p) return;
    if ('slice' in reply) {
      const { ids, received } = reply.slice;
      for (let i = 0; i < ids.length; i++) p.each?.(ids[i] as string, received[i] as number);
      return;
    }
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in reply) p.reject(reply.error);
    else p.resolve(reply.value);
  }

  private stop(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

const isReadOptions = (v: unknown): v is QueryOptions =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && 'signal' in v && (v as QueryOptions).signal instanceof AbortSignal;

/** The thread's module: built JavaScript next to this file, or (tests, tsx) the TypeScript source. */
function workerFile(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './duckdb-worker.ts' : './duckdb-worker.js', import.meta.url);
}

/** From TypeScript sources the thread needs tsx's loader, as the process that runs them. */
function workerFlags(): { execArgv?: string[] } {
  if (!import.meta.url.endsWith('.ts')) return {};
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { execArgv: ['--import', tsx] };
}
