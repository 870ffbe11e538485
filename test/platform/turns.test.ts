import { describe, expect, it } from 'vitest';
import { Slices, settleInTurns } from '../../src/platform/turns.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // burn CPU, as checking and enriching a request does
  }
};

/** A timer set now, which records in `ran` when it ran. */
const timerInto = (ran: string[]): Promise<void> =>
  new Promise<void>((resolve) =>
    setTimeout(() => {
      ran.push('timer');
      resolve();
    }, 0),
  );

describe('Slices', () => {
  it('runs tasks in order and hands back their results and errors', async () => {
    const slices = new Slices(2);
    const order: number[] = [];
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        slices.run(() => {
          order.push(n);
          return n * 10;
        }),
      ),
    );
    expect(results).toEqual([10, 20, 30]);
    expect(order).toEqual([1, 2, 3]);
    await expect(slices.run(() => JSON.parse('{'))).rejects.toThrow(SyntaxError);
  });

  it('lets a timer run between slices of a long queue', async () => {
    const slices = new Slices(2);
    const ran: string[] = [];
    let timer: Promise<void> = Promise.resolve();
    // 40 tasks of 1 ms: in one turn the timer would wait for all 40; in 2 ms slices it runs after
    // a few. The timer is set by the first task, so it cannot fire before the queue starts (set
    // before it, a loaded machine could let it expire before the first slice).
    const work = Array.from({ length: 40 }, (_, i) =>
      slices.run(() => {
        if (i === 0) {
          timer = timerInto(ran);
        }
        busy(1);
        ran.push(`task ${i}`);
      }),
    );
    await Promise.all(work);
    await timer;
    expect(ran).toHaveLength(41);
    const at = ran.indexOf('timer');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(20);
  });
});

describe('settleInTurns', () => {
  it('settles every item in order, in slices with timers between them', async () => {
    const items = Array.from({ length: 60 }, (_, i) => i);
    const settled: number[] = [];
    let timerAt = -1;
    settleInTurns(items, (i) => {
      // The first settlement sets a timer; each takes 0.5 ms, as answering a few requests does.
      if (i === 0) setTimeout(() => (timerAt = settled.length), 0);
      busy(0.5);
      settled.push(i);
    });
    expect(settled).toEqual([]);
    while (settled.length < items.length) await new Promise((r) => setImmediate(r));
    expect(settled).toEqual(items);
    // 30 ms of settling in one turn would hold the timer until the end.
    await new Promise((r) => setTimeout(r, 0));
    expect(timerAt).toBeGreaterThan(0);
    expect(timerAt).toBeLessThan(items.length);
  });
});

describe("a slice counts its tasks' promise continuations", () => {
  it('lets a timer run between tasks whose work continues after an await', async () => {
    const slices = new Slices(2);
    const ran: string[] = [];
    let timer: Promise<void> = Promise.resolve();
    // Each task resolves at once, and the work (1 ms) happens in its caller's continuation, as a
    // request answered after its commit does: unmeasured, 40 of them would run in one turn.
    const work = Array.from({ length: 40 }, (_, i) =>
      slices
        .run(() => {
          if (i === 0) {
            timer = timerInto(ran);
          }
        })
        .then(() => {
          busy(1);
          ran.push(`task ${i}`);
        }),
    );
    await Promise.all(work);
    await timer;
    const at = ran.indexOf('timer');
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(20);
  });

  it('runs a task posted from inside a slice exactly once', async () => {
    const slices = new Slices(5);
    const ran: number[] = [];
    await new Promise<void>((resolve) => {
      slices.post(() => {
        ran.push(1);
        slices.post(() => {
          ran.push(2);
          // A third, posted after the slice may have ended, in the next one.
          setImmediate(() =>
            slices.post(() => {
              ran.push(3);
              resolve();
            }),
          );
        });
      });
    });
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([1, 2, 3]);
  });
});
