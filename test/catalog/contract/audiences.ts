// Catalog contract, audiences (src/audiences/store.ts): integer ids, the job claim that exactly one of
// many racing workers wins (the PostgreSQL run has real concurrent connections), a dead worker's
// lease taken over by a new run while the old run's writes are refused, retries waiting for their
// time, and the scheduler queueing a due audience once. Run on every catalog backend by contract.ts.
import { describe, expect, it } from 'vitest';
import type { NewAudience } from '../../../src/audiences/store.js';
import { type ContractContext, T0 } from './context.js';

const MIN = 60_000;

export function audiencesContract(c: ContractContext): void {
  const { s } = c;
  let seq = 0;
  const newTask = () => `run_${++seq}_${Math.random().toString(36).slice(2, 8)}`;

  const audience = async (over: Partial<NewAudience> = {}) => {
    const org = await c.org();
    const project = await s.projects.createProject({ organizationId: org.id, name: 'p', retentionDays: null, now: T0 });
    const row: NewAudience = {
      organization_id: org.id,
      project_id: project.id,
      name: 'a',
      description: '',
      type: 'intents',
      filter: '{"op":"AND","rules":[]}',
      refresh_schedule: 'daily',
      intent_window_days: 1,
      status: 'Pending',
      renew_time: T0 + MIN,
      previous_renew_time: null,
      paused_at: null,
      pause_reason: null,
      task_id: null,
      attempts: 0,
      next_attempt_at: null,
      lease_holder: null,
      lease_until: null,
      error: null,
      result_run: null,
      record_count: 0,
      distinct_profile_count: 0,
      bucket_counts: '{}',
      created_at: T0,
      updated_at: T0,
      completed_at: null,
      ...over,
    };
    return s.audiences.create(row);
  };
  /** Finishes a claimed audience so later sections find nothing claimable. */
  const finish = async (id: number, taskId: string, holder: string, now = T0) => {
    const claim = { id, taskId, holder };
    expect(await s.audiences.syncing(claim, now, MIN)).toBe(true);
    return s.audiences.complete(
      claim,
      { resultRun: taskId, recordCount: 3, distinctProfileCount: 2, bucketCounts: '{"low":3}' },
      now,
      null,
    );
  };

  describe('audiences', () => {
    it('gives integer ids, one after another, and reads an audience only within its organization and project', async () => {
      const a = await audience({ status: 'Completed' });
      const b = await audience({ status: 'Completed' });
      expect(Number.isInteger(a.id)).toBe(true);
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toMatchObject({ renew_time: T0 + MIN, created_at: T0, record_count: 0, attempts: 0 });
      expect(await s.audiences.get(a.organization_id, a.id)).toEqual(a);
      expect(await s.audiences.get(b.organization_id, a.id)).toBeUndefined();
      expect(await s.audiences.get(a.organization_id, a.id, b.project_id)).toBeUndefined();
      expect((await s.audiences.list(a.organization_id, a.project_id)).map((x) => x.id)).toEqual([a.id]);
    });

    it('of many workers claiming at once, exactly one gets each audience; its run completes with its counts', async () => {
      const rows = await Promise.all([audience(), audience(), audience()]);
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.audiences.claim({ holder: `w${i}`, now: T0, ttlMs: MIN, newTaskId: newTask })),
      );
      const won = claims.filter((x) => x !== undefined);
      expect(won.map((x) => x.id).sort()).toEqual(rows.map((r) => r.id).sort());
      for (const w of won) expect(w).toMatchObject({ status: 'Processing', attempts: 1, lease_until: T0 + MIN });
      expect(await s.audiences.claim({ holder: 'late', now: T0, ttlMs: MIN, newTaskId: newTask })).toBeUndefined();
      for (const w of won) {
        expect(await finish(w.id, w.task_id as string, w.lease_holder as string)).toEqual({ previousRun: null });
        expect(await s.audiences.get(w.organization_id, w.id)).toMatchObject({
          status: 'Completed',
          result_run: w.task_id,
          record_count: 3,
          distinct_profile_count: 2,
          bucket_counts: '{"low":3}',
          attempts: 0,
          lease_holder: null,
        });
      }
    });

    it("takes a dead worker's run over once its lease runs out; the dead worker can write nothing after", async () => {
      const row = await audience();
      const first = await s.audiences.claim({ holder: 'dead', now: T0, ttlMs: MIN, newTaskId: newTask });
      expect(first?.id).toBe(row.id);
      expect(await s.audiences.renew({ id: row.id, taskId: first?.task_id as string, holder: 'dead' }, T0 + MIN / 2, MIN)).toBe(true);
      expect(await s.audiences.claim({ holder: 'next', now: T0 + MIN, ttlMs: MIN, newTaskId: newTask })).toBeUndefined();
      const second = await s.audiences.claim({ holder: 'next', now: T0 + 2 * MIN, ttlMs: MIN, newTaskId: newTask });
      expect(second).toMatchObject({ id: row.id, lease_holder: 'next', attempts: 2 });
      expect(second?.task_id).not.toBe(first?.task_id);
      const old = { id: row.id, taskId: first?.task_id as string, holder: 'dead' };
      expect(await s.audiences.renew(old, T0 + 2 * MIN, MIN)).toBe(false);
      expect(await s.audiences.syncing(old, T0 + 2 * MIN, MIN)).toBe(false);
      expect(await s.audiences.failed(old, 'x', T0 + 2 * MIN, null)).toBe(false);
      expect(await finish(row.id, second?.task_id as string, 'next', T0 + 2 * MIN)).toEqual({ previousRun: null });
    });

    it('a retry waits for its time; the last failure is Failed; a refreshed run cannot complete the old one', async () => {
      const row = await audience();
      const first = await s.audiences.claim({ holder: 'w', now: T0, ttlMs: MIN, newTaskId: newTask });
      const claim = { id: row.id, taskId: first?.task_id as string, holder: 'w' };
      expect(await s.audiences.failed(claim, 'boom', T0, T0 + MIN)).toBe(true);
      expect(await s.audiences.get(row.organization_id, row.id)).toMatchObject({
        status: 'Pending',
        error: 'boom',
        next_attempt_at: T0 + MIN,
        lease_holder: null,
      });
      expect(await s.audiences.claim({ holder: 'w', now: T0 + MIN - 1, ttlMs: MIN, newTaskId: newTask })).toBeUndefined();
      const again = await s.audiences.claim({ holder: 'w', now: T0 + MIN, ttlMs: MIN, newTaskId: newTask });
      expect(again).toMatchObject({ attempts: 2, next_attempt_at: null });
      const claim2 = { id: row.id, taskId: again?.task_id as string, holder: 'w' };
      expect(await s.audiences.failed(claim2, 'boom again', T0 + MIN, null)).toBe(true);
      expect(await s.audiences.get(row.organization_id, row.id)).toMatchObject({ status: 'Failed', error: 'boom again', attempts: 0 });
      expect(await s.audiences.claim({ holder: 'w', now: T0 + 60 * MIN, ttlMs: MIN, newTaskId: newTask })).toBeUndefined();

      // Refreshed mid-run: the old run's completion is refused, and the queued run is the one that counts.
      const queued = { status: 'Pending' as const, task_id: null, attempts: 0, next_attempt_at: null };
      await s.audiences.update(row.organization_id, row.id, queued);
      const run1 = await s.audiences.claim({ holder: 'w', now: T0, ttlMs: MIN, newTaskId: newTask });
      expect(await s.audiences.syncing({ id: row.id, taskId: run1?.task_id as string, holder: 'w' }, T0, MIN)).toBe(true);
      expect(await s.audiences.update(row.organization_id, row.id, queued, { notStatus: 'Syncing' })).toBe(false);
      expect(await s.audiences.update(row.organization_id, row.id, queued)).toBe(true);
      expect(
        await s.audiences.complete(
          { id: row.id, taskId: run1?.task_id as string, holder: 'w' },
          { resultRun: 'r', recordCount: 1, distinctProfileCount: 1, bucketCounts: '{}' },
          T0,
          null,
        ),
      ).toBe(false);
      const run2 = await s.audiences.claim({ holder: 'w', now: T0, ttlMs: MIN, newTaskId: newTask });
      expect(await finish(row.id, run2?.task_id as string, 'w')).toEqual({ previousRun: null });
      // The next run's completion names the run it replaces.
      await s.audiences.update(row.organization_id, row.id, queued);
      const run3 = await s.audiences.claim({ holder: 'w', now: T0, ttlMs: MIN, newTaskId: newTask });
      expect(await finish(row.id, run3?.task_id as string, 'w')).toEqual({ previousRun: run2?.task_id });
    });

    it('queues a due audience once however many schedulers race; paused and running ones are not due', async () => {
      const due = await audience({ status: 'Completed', renew_time: T0 - 1 });
      await audience({ status: 'Completed', renew_time: null, previous_renew_time: T0 - 1, paused_at: T0 - 5, pause_reason: 'manual' });
      await audience({ status: 'Processing', renew_time: T0 - 1, lease_until: T0 + 60 * MIN, lease_holder: 'busy', task_id: 'run_busy' });
      expect((await s.audiences.due(T0, 100)).map((r) => r.id)).toEqual([due.id]);
      const results = await Promise.all(Array.from({ length: 6 }, () => s.audiences.queueScheduled(due.id, T0 - 1, T0 + 86_400_000, T0)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.audiences.get(due.organization_id, due.id)).toMatchObject({
        status: 'Pending',
        renew_time: T0 + 86_400_000,
        task_id: null,
      });
      expect(await s.audiences.due(T0, 100)).toEqual([]);
      const run = await s.audiences.claim({ holder: 'w', now: T0, ttlMs: MIN, newTaskId: newTask });
      expect(run?.id).toBe(due.id);
      await finish(due.id, run?.task_id as string, 'w');
      // The busy one's lease is still held: nothing is claimable now.
      expect(await s.audiences.claim({ holder: 'w', now: T0, ttlMs: MIN, newTaskId: newTask })).toBeUndefined();
    });
  });
}
