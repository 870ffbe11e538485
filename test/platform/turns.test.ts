import { describe, expect, it } from 'vitest';
import { Slices, settleInTurns } from '../../src/platform/turns.js';

const busy = (ms: number): void => {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // burn CPU, as checking and enriching a request does
  }
};

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
          timer = new Promise<void>((resolve) =>
            setTimeout(() => {
              ran.push('timer');
              resolve();
            }, 0),
          );
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
  it('settles every item, a few dozen per turn of the loop', async () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    const settled: number[] = [];
    let turns = 0;
    settleInTurns(items, (i) => settled.push(i));
    const atOnce = settled.length;
    while (settled.length < items.length) {
      await new Promise((r) => setImmediate(r));
      turns += 1;
    }
    expect(settled).toEqual(items);
    // Some at once, the rest in later turns.
    expect(atOnce).toBeGreaterThan(0);
    expect(atOnce).toBeLessThan(items.length);
    expect(turns).toBeGreaterThan(1);
  });
});
