// Short turns of the event loop under load. At 256 ingest connections a commit answers hundreds of
// requests at once and hundreds of new ones arrive together; handled in one go, each burst held the
// loop for 15-25 ms, and every timer and every other request (a health check, a dashboard read)
// waited that long. Work queued here runs in slices of a few milliseconds from the loop's check
// phase (setImmediate), with timers and I/O between slices, in the order it was queued.

/** A slice's length: with HTTP parsing between slices, a turn stays under issue 13's 5 ms. */
const SLICE_MS = 2;

export class Slices {
  private readonly queue: (() => void)[] = [];
  private scheduled = false;

  constructor(private readonly sliceMs: number = SLICE_MS) {}

  /** Runs `task` in a slice and resolves (or rejects) with its result. */
  run<T>(task: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        try {
          resolve(task());
        } catch (err) {
          reject(err);
        }
      });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const end = performance.now() + this.sliceMs;
    let i = 0;
    // At least one task per slice, so a task longer than a slice still runs.
    do {
      (this.queue[i] as () => void)();
      i += 1;
    } while (i < this.queue.length && performance.now() < end);
    this.queue.splice(0, i);
    this.schedule();
  };
}

/** The process's slices: one queue, so ingest's parts take turns with each other in arrival order. */
export const loopSlices = new Slices();

/** Settling this many waiting callers is one turn's work: each answers a request (~20-40 µs). */
const SETTLE_PER_TURN = 32;

/**
 * Calls `settle` for each item, SETTLE_PER_TURN per turn of the loop: what a resolved promise's
 * callers do next (answering their requests) runs in that turn's microtasks, not all in one.
 */
export function settleInTurns<T>(items: readonly T[], settle: (item: T) => void, from = 0): void {
  const end = Math.min(items.length, from + SETTLE_PER_TURN);
  for (let i = from; i < end; i++) settle(items[i] as T);
  if (items.length > end) setImmediate(() => settleInTurns(items, settle, end));
}
