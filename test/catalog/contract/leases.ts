// Catalog contract, task leases (src/retention/store.ts): one holder at a time, a pass at most once
// per interval, a dead holder's lease running out. Run on every catalog backend by
// test/catalog/contract.ts; the PostgreSQL run has real concurrent connections racing for the lease.
import { describe, expect, it } from 'vitest';
import { type ContractContext, T0, tag } from './context.js';

const MIN = 60_000;

export function leasesContract(c: ContractContext): void {
  const { s } = c;

  describe('task leases', () => {
    it('lets one holder at a time run a due task, renew it while it holds it, and release it', async () => {
      const name = `task-${tag()}`;
      const claim = (holder: string, now: number, dueAfter = now) =>
        s.taskLeases.claimTask({ name, holder, now, ttlMs: 10 * MIN, dueAfter });
      expect(await s.taskLeases.getTask(name)).toBeUndefined();
      expect(await claim('a', T0)).toBe(true);
      expect(await s.taskLeases.getTask(name)).toEqual({ name, holder: 'a', lease_until: T0 + 10 * MIN, last_started_at: T0 });
      // Held: nobody else gets it, however due the task is.
      expect(await claim('b', T0 + MIN)).toBe(false);
      expect(await s.taskLeases.renewTask({ name, holder: 'b', now: T0 + MIN, ttlMs: 10 * MIN })).toBe(false);
      expect(await s.taskLeases.renewTask({ name, holder: 'a', now: T0 + 5 * MIN, ttlMs: 10 * MIN })).toBe(true);
      expect((await s.taskLeases.getTask(name))?.lease_until).toBe(T0 + 15 * MIN);
      // Someone else's release changes nothing; the holder's frees it.
      await s.taskLeases.releaseTask(name, 'b');
      expect((await s.taskLeases.getTask(name))?.holder).toBe('a');
      await s.taskLeases.releaseTask(name, 'a');
      expect(await s.taskLeases.getTask(name)).toEqual({ name, holder: null, lease_until: 0, last_started_at: T0 });
      // Free, but a pass started at T0: not due again until dueAfter reaches T0.
      expect(await claim('b', T0 + 6 * MIN, T0 - 1)).toBe(false);
      expect(await claim('b', T0 + 60 * MIN, T0)).toBe(true);
      expect((await s.taskLeases.getTask(name))?.last_started_at).toBe(T0 + 60 * MIN);
    });

    it("takes over a dead holder's lease once it runs out, and the old holder can no longer renew", async () => {
      const name = `task-${tag()}`;
      expect(await s.taskLeases.claimTask({ name, holder: 'dead', now: T0, ttlMs: MIN, dueAfter: T0 })).toBe(true);
      expect(await s.taskLeases.claimTask({ name, holder: 'next', now: T0 + MIN - 1, ttlMs: MIN, dueAfter: T0 + MIN })).toBe(false);
      expect(await s.taskLeases.claimTask({ name, holder: 'next', now: T0 + MIN, ttlMs: MIN, dueAfter: T0 + MIN })).toBe(true);
      expect(await s.taskLeases.renewTask({ name, holder: 'dead', now: T0 + MIN + 1, ttlMs: MIN })).toBe(false);
      expect((await s.taskLeases.getTask(name))?.holder).toBe('next');
    });

    it('of many holders claiming at once, exactly one wins', async () => {
      const name = `task-${tag()}`;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.taskLeases.claimTask({ name, holder: `h${i}`, now: T0, ttlMs: MIN, dueAfter: T0 })),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect((await s.taskLeases.getTask(name))?.holder).toBe(`h${winner}`);
    });
  });
}
