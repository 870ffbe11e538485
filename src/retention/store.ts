// Task leases in the catalog: one row per periodic task (the retention pass, later others), so that
// with several server processes on one PostgreSQL catalog exactly one runs a pass at a time, and
// the fleet runs it once per interval rather than once per process. Each claim is one conditional
// UPDATE, atomic on SQLite and PostgreSQL alike; a holder that dies simply lets its lease run out.
// Kysely, the same on both engines; test/catalog/contract/leases.ts checks them.
import type { Kysely, Selectable } from 'kysely';
import type { CatalogDb, TaskLeasesTable } from '../catalog/schema.js';

export type TaskLease = Selectable<TaskLeasesTable>;

export class TaskLeasesStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  /**
   * Takes the task's lease until `now + ttlMs` when nobody holds it (or its holder's lease ran out)
   * and no pass started after `dueAfter`; records `now` as the start of a pass. True when taken.
   */
  async claimTask(input: { name: string; holder: string; now: number; ttlMs: number; dueAfter: number }): Promise<boolean> {
    await this.db
      .insertInto('task_leases')
      .values({ name: input.name, holder: null, lease_until: 0, last_started_at: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const r = await this.db
      .updateTable('task_leases')
      .set({ holder: input.holder, lease_until: input.now + input.ttlMs, last_started_at: input.now })
      .where('name', '=', input.name)
      .where('lease_until', '<=', input.now)
      .where((eb) => eb.or([eb('last_started_at', 'is', null), eb('last_started_at', '<=', input.dueAfter)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Extends a lease its holder still has; false when it ran out or another process took it. */
  async renewTask(input: { name: string; holder: string; now: number; ttlMs: number }): Promise<boolean> {
    const r = await this.db
      .updateTable('task_leases')
      .set({ lease_until: input.now + input.ttlMs })
      .where('name', '=', input.name)
      .where('holder', '=', input.holder)
      .where('lease_until', '>', input.now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Gives the lease back at the end of a pass, so the next due pass need not wait for it to run out. */
  async releaseTask(name: string, holder: string): Promise<void> {
    await this.db
      .updateTable('task_leases')
      .set({ holder: null, lease_until: 0 })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  async getTask(name: string): Promise<TaskLease | undefined> {
    return this.db.selectFrom('task_leases').selectAll().where('name', '=', name).executeTakeFirst();
  }
}
