// Keeps one tenant's analytics queries from starving the others. Every events query passes through
// `run`, which gives it:
// - a deadline (QUERY_TIMEOUT_MS, counted from arrival, waiting included): past it the engine is
//   told to stop (DuckDB interrupts the connection, ClickHouse aborts the request and kills the
//   query) and the caller gets 503 `query_timeout`;
// - cancellation when the client goes away, so an abandoned request stops costing anything;
// - a share: at most QUERY_CONCURRENCY_PER_ORG queries of one organization run at once (one by
//   default), and at most QUERY_QUEUE_PER_ORG more wait their turn; beyond that, 429
//   `too_many_queries`. The engines' read connections therefore always have room for other
//   organizations, and with DuckDB working on every core but one (DUCKDB_THREADS) an
//   organization's slow queries leave a core to the others (docs/scaling.md, "One tenant's slow
//   queries");
// - a bounded shutdown: `close(drainMs)` refuses new queries at once and interrupts the running ones
//   after drainMs, so SIGTERM finishes within its grace period whatever is in flight.
// Limits hold per process (several processes each apply them).
import { ApiError } from '../platform/errors.js';
import type { Metrics } from '../platform/metrics.js';
import type { QueryOptions } from './types.js';

export interface QueryGateOptions {
  timeoutMs: number;
  perOrganization: number;
  queuePerOrganization: number;
}

interface Share {
  active: number;
  waiting: (() => void)[];
}

type Outcome = 'ok' | 'timeout' | 'cancelled' | 'refused' | 'shutdown' | 'error';

/** Why the gate stopped a query; the route turns it into the catalogue's error. */
const TIMEOUT = Symbol('timeout');
const SHUTDOWN = Symbol('shutdown');

export class QueryGate {
  private readonly shares = new Map<string, Share>();
  private readonly closing = new AbortController();
  private drainTimer: ReturnType<typeof setTimeout> | null = null;
  private refusing = false;

  constructor(
    private readonly options: QueryGateOptions,
    private readonly metrics?: Metrics,
  ) {}

  /** Queries running or waiting, all organizations (for tests and metrics). */
  get inFlight(): number {
    let n = 0;
    for (const s of this.shares.values()) n += s.active + s.waiting.length;
    return n;
  }

  /** Queries running (given their turn), all organizations. */
  get running(): number {
    let n = 0;
    for (const s of this.shares.values()) n += s.active;
    return n;
  }

  /**
   * Runs `work` for `organizationId` under the deadline, the organization's share and `signal` (the
   * client's request). `work` must pass the options it gets to the store.
   */
  async run<T>(organizationId: string, signal: AbortSignal | undefined, work: (opts: QueryOptions) => Promise<T>): Promise<T> {
    if (this.refusing) return this.refuse('shutdown', shuttingDown());
    const started = Date.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(TIMEOUT), this.options.timeoutMs);
    timer.unref?.();
    const sources = [deadline.signal, this.closing.signal, ...(signal ? [signal] : [])];
    const stop = AbortSignal.any(sources);
    try {
      await this.admit(organizationId, stop);
      const remaining = Math.max(1, this.options.timeoutMs - (Date.now() - started));
      const running = work({ signal: stop, timeoutMs: remaining });
      // The turn is given back when the engine has actually stopped, not when the caller is
      // answered: DuckDB notices an interrupt only between tasks (about 100,000 rows per thread), so
      // an interrupted query may work on briefly, and that work still counts against its organization.
      const release = () => this.release(organizationId);
      running.then(release, release);
      const result = await settledOrStopped(running, stop);
      this.count('ok', started);
      return result;
    } catch (err) {
      // Whatever the engine threw once it was stopped (an interrupt, an aborted request), the
      // reason is the gate's.
      if (stop.aborted) throw this.stopped(stop, deadline.signal, started);
      if (err instanceof ApiError && err.code === 'too_many_queries') throw err;
      this.count('error', started);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Refuses new queries from now on; the ones running or waiting are interrupted after `drainMs`
   * (at once for 0). Returns at once: the queries answer 503 as they stop.
   */
  close(drainMs = 0): void {
    if (this.refusing) return;
    const stopAll = () => this.closing.abort(SHUTDOWN);
    this.refusing = true;
    if (drainMs <= 0) stopAll();
    else {
      this.drainTimer = setTimeout(stopAll, drainMs);
      this.drainTimer.unref?.();
    }
  }

  private async admit(organizationId: string, stop: AbortSignal): Promise<void> {
    if (stop.aborted) throw stop.reason;
    const share = this.shares.get(organizationId) ?? { active: 0, waiting: [] };
    this.shares.set(organizationId, share);
    if (share.active < this.options.perOrganization) {
      share.active += 1;
      return;
    }
    if (share.waiting.length >= this.options.queuePerOrganization) {
      this.forget(organizationId, share);
      this.count('refused', Date.now());
      throw new ApiError(
        'too_many_queries',
        `at most ${this.options.perOrganization} queries of one organization run at once and ${this.options.queuePerOrganization} wait`,
        { 'Retry-After': '1' },
      );
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = () => {
        stop.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = share.waiting.indexOf(waiter);
        if (i >= 0) share.waiting.splice(i, 1);
        this.forget(organizationId, share);
        reject(stop.reason);
      };
      stop.addEventListener('abort', onAbort, { once: true });
      share.waiting.push(waiter);
    });
  }

  private release(organizationId: string): void {
    const share = this.shares.get(organizationId);
    if (!share) return;
    const next = share.waiting.shift();
    // The slot passes straight to the next waiter, so a newcomer cannot overtake the queue.
    if (next) next();
    else {
      share.active -= 1;
      this.forget(organizationId, share);
    }
  }

  private forget(organizationId: string, share: Share): void {
    if (share.active === 0 && share.waiting.length === 0) this.shares.delete(organizationId);
  }

  private stopped(stop: AbortSignal, deadline: AbortSignal, started: number): ApiError {
    if (deadline.aborted && stop.reason === TIMEOUT) {
      this.count('timeout', started);
      return new ApiError('query_timeout', `the query did not finish within QUERY_TIMEOUT_MS (${this.options.timeoutMs} ms)`, {
        'Retry-After': '1',
      });
    }
    if (stop.reason === SHUTDOWN) {
      this.count('shutdown', started);
      return shuttingDown();
    }
    this.count('cancelled', started);
    return new ApiError('request_cancelled', 'the client closed the connection before the query finished');
  }

  private refuse(outcome: Outcome, err: ApiError): never {
    this.count(outcome, Date.now());
    throw err;
  }

  private count(outcome: Outcome, started: number): void {
    this.metrics?.analyticsQueries.inc({ outcome });
    if (outcome !== 'refused' && outcome !== 'shutdown') this.metrics?.analyticsQuerySeconds.observe((Date.now() - started) / 1000);
  }
}

/** `work`'s result, or a rejection with the stop reason as soon as `stop` aborts (the caller is answered at once). */
function settledOrStopped<T>(work: Promise<T>, stop: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (stop.aborted) return Promise.reject(stop.reason);
  return new Promise<T>((resolve, reject) => {
    const onStop = () => reject(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    work.then(
      (value) => {
        stop.removeEventListener('abort', onStop);
        resolve(value);
      },
      (err: unknown) => {
        stop.removeEventListener('abort', onStop);
        reject(err);
      },
    );
  });
}

const shuttingDown = (): ApiError => new ApiError('shutting_down', undefined, { 'Retry-After': '1' });
