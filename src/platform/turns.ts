// Short turns of the event loop under load. At 256 ingest connections a commit answers hundreds of
// requests at once and hundreds of new ones arrive together; handled in one go, each burst held the
// loop for 15-25 ms, and every timer and every other request (a health check, a dashboard read)
// waited that long. Work queued here runs in slices of about a millisecond from the loop's check
// phase (setImmediate), with timers and I/O between slices, in the order it was queued: every
// request's handling (slicedHttpServer), checking and enriching events, and answering a commit's
// requests. What is left in a turn is Node reading and parsing the connections that are ready.
import { createServer, type IncomingMessage, type Server, type ServerOptions as ServerOptionsBase, type ServerResponse } from 'node:http';

/**
 * A slice's length. With every request's handling in slices, a turn at 256 connections is the
 * parsing of what arrived plus one slice: event-loop delay p99 4.0-5.0 ms over five runs with 1 ms
 * slices, 4.5-5.5 ms in one with 2 ms (bench/ingest.ts, docs/ingest.md).
 */
const SLICE_MS = 1;

export class Slices {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly sliceMs: number = SLICE_MS) {}

  /** Runs `task` in a slice and resolves (or rejects) with its result. */
  run<T>(task: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.post(() => {
        try {
          resolve(task());
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  /** Runs `task` in a slice. It should not throw: what it throws surfaces as an uncaught exception. */
  post(task: () => void): void {
    this.queue.push(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => void this.drain());
  }

  /**
   * One slice: tasks in order until the slice's time is up. Each task's promise continuations (a
   * request answered once its commit resolves, a handler's next step) run before the next task
   * starts (the await), so they count against the slice instead of piling up after it.
   */
  private readonly drain = async (): Promise<void> => {
    // `scheduled` stays set while the slice runs: tasks posted meanwhile join this slice or the next
    // one scheduled below, never a second drain racing this one for the queue.
    const end = performance.now() + this.sliceMs;
    let i = 0;
    // At least one task per slice, so a task longer than a slice still runs.
    do {
      try {
        (this.queue[i] as () => void)();
      } catch (err) {
        // A task that throws is a bug: it surfaces as an uncaught exception, as it would have unsliced.
        process.nextTick(() => {
          throw err;
        });
      }
      i += 1;
      await undefined;
    } while (i < this.queue.length && performance.now() < end);
    this.queue.splice(0, i);
    this.scheduled = false;
    this.schedule();
  };
}

/** The process's slices: one queue, so ingest's parts take turns with each other in arrival order. */
export const loopSlices = new Slices();

/**
 * Calls `settle` for each item in the loop's slices, one task each: what a resolved promise's callers
 * do next (answering their requests) runs a slice at a time, not all in one turn.
 */
export function settleInTurns<T>(items: readonly T[], settle: (item: T) => void): void {
  for (const item of items) loopSlices.post(() => settle(item));
}

/** What Fastify passes a server factory: its handler and its (defaulted) options. */
interface ServerOptions {
  http?: ServerOptionsBase;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/**
 * Fastify's HTTP server (its serverFactory), with each parsed request handed to the app in a slice
 * instead of in the turn that read it. A turn that reads hundreds of connections at once then only
 * parses them (Node's parser, a few µs each); routing, hooks, validation and handlers run in slices
 * with timers and I/O between them. A request's body waits in its stream until the app reads it.
 * Set up as Fastify's own factory does (lib/server.js): the same timeouts and limits.
 */
export function slicedHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void, opts: ServerOptions): Server {
  const server = createServer(opts.http ?? {}, (req, res) => loopSlices.post(() => handler(req, res)));
  if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
  if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
  server.setTimeout(opts.connectionTimeout ?? 0);
  if (opts.maxRequestsPerSocket !== undefined && opts.maxRequestsPerSocket > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket;
  return server;
}
