// Audiences in the catalog: definitions and their job state, one row each (migration.ts). The job
// queue is this table: a worker claims a due row with one conditional UPDATE that re-checks the row
// is still claimable, so of several processes racing for one audience exactly one wins, on SQLite
// (one writer at a time) and PostgreSQL (the losing UPDATE re-reads the row after the winner's
// commit and no longer matches) alike, with the same Kysely code. Every later write of a run names
// the run's task id and holder, so a worker whose lease was taken over (or whose audience was
// refreshed, edited or deleted meanwhile) can no longer change the row.
import { type Generated, type Insertable, type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { CatalogDb } from '../catalog/schema.js';

export type AudienceStatus = 'Pending' | 'Processing' | 'Syncing' | 'Completed' | 'Failed';
export type AudienceType = 'intents' | 'events';
export type RefreshSchedule = 'daily' | 'weekly' | 'manual';
export type PauseReason = 'manual' | 'org_inactive' | 'project_inactive';

export interface AudiencesTable {
  id: Generated<number>;
  organization_id: string;
  project_id: string;
  name: string;
  description: string;
  type: AudienceType;
  /** The filter group as JSON text (validated by filter.ts before it is stored). */
  filter: string;
  refresh_schedule: RefreshSchedule;
  intent_window_days: number;
  status: AudienceStatus;
  /** When the scheduler queues the next run (null: manual, or paused). */
  renew_time: number | null;
  previous_renew_time: number | null;
  paused_at: number | null;
  pause_reason: PauseReason | null;
  /** The run in progress (set by the claim, cleared by refresh). */
  task_id: string | null;
  /** Claims of the current run so far; a failure retries with backoff until MAX_ATTEMPTS. */
  attempts: number;
  /** A retry waits until then. */
  next_attempt_at: number | null;
  lease_holder: string | null;
  lease_until: number | null;
  error: string | null;
  /** The run whose rows the analytics store serves to sample and download. */
  result_run: string | null;
  record_count: number;
  distinct_profile_count: number;
  /** JSON object: profiles per intent-score band. */
  bucket_counts: string;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

export type AudienceRow = Selectable<AudiencesTable>;
export type AudienceChanges = Updateable<Omit<AudiencesTable, 'id' | 'organization_id' | 'project_id' | 'created_at'>>;
export type NewAudience = Omit<Insertable<AudiencesTable>, 'id'>;

/** What a worker holds while it runs an audience. */
export interface Claim {
  id: number;
  taskId: string;
  holder: string;
}

/** The result of a run, written with the status that ends it. */
export interface RunResult {
  resultRun: string;
  recordCount: number;
  distinctProfileCount: number;
  bucketCounts: string;
}

export class AudiencesStore {
  constructor(private readonly db: Kysely<CatalogDb>) {}

  async create(row: NewAudience): Promise<AudienceRow> {
    const created = await this.db.insertInto('audiences').values(row).returningAll().executeTakeFirstOrThrow();
    return created;
  }

  /** One audience of one organization (and project, when given); another tenant's is not found. */
  async get(organizationId: string, id: number, projectId?: string): Promise<AudienceRow | undefined> {
    let q = this.db.selectFrom('audiences').selectAll().where('organization_id', '=', organizationId).where('id', '=', id);
    if (projectId !== undefined) q = q.where('project_id', '=', projectId);
    return q.executeTakeFirst();
  }

  /** The project's audiences, newest first. */
  async list(organizationId: string, projectId: string): Promise<AudienceRow[]> {
    return this.db
      .selectFrom('audiences')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('project_id', '=', projectId)
      .orderBy('id', 'desc')
      .execute();
  }

  /**
   * Changes one audience when `guard` (extra conditions on its current state) holds; false when it
   * does not exist or the guard failed.
   */
  async update(
    organizationId: string,
    id: number,
    set: AudienceChanges,
    guard: { notStatus?: AudienceStatus; paused?: boolean } = {},
  ): Promise<boolean> {
    let q = this.db.updateTable('audiences').set(set).where('organization_id', '=', organizationId).where('id', '=', id);
    if (guard.notStatus) q = q.where('status', '!=', guard.notStatus);
    if (guard.paused === true) q = q.where('paused_at', 'is not', null);
    if (guard.paused === false) q = q.where('paused_at', 'is', null);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(organizationId: string, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('audiences').where('organization_id', '=', organizationId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * Claims one runnable audience for `holder` until `now + ttlMs`: a Pending one whose retry time
   * has come, or one whose worker's lease ran out mid-run (it died). The run gets `taskId`.
   */
  async claim(input: { holder: string; now: number; ttlMs: number; newTaskId: () => string }): Promise<AudienceRow | undefined> {
    const { now } = input;
    const candidates = await this.db
      .selectFrom('audiences')
      .select(['id', 'status', 'task_id'])
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'Pending'), eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)])]),
          eb.and([eb('status', 'in', ['Processing', 'Syncing']), eb('lease_until', '<=', now)]),
        ]),
      )
      .orderBy(sql`coalesce(next_attempt_at, 0)`)
      .orderBy('id')
      .limit(8)
      .execute();
    for (const c of candidates) {
      // A new task id on every claim: a run taken over from a dead worker writes rows of its own.
      const taskId = input.newTaskId();
      let q = this.db
        .updateTable('audiences')
        .set((eb) => ({
          status: 'Processing',
          task_id: taskId,
          lease_holder: input.holder,
          lease_until: now + input.ttlMs,
          attempts: eb('attempts', '+', 1),
          next_attempt_at: null,
          updated_at: now,
        }))
        .where('id', '=', c.id)
        .where('status', '=', c.status);
      q =
        c.status === 'Pending'
          ? q.where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
          : q.where('lease_until', '<=', now);
      q = c.task_id === null ? q.where('task_id', 'is', null) : q.where('task_id', '=', c.task_id);
      const r = await q.executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) {
        const row = await this.db.selectFrom('audiences').selectAll().where('id', '=', c.id).executeTakeFirst();
        if (row && row.task_id === taskId && row.lease_holder === input.holder) return row;
      }
    }
    return undefined;
  }

  private held(claim: Claim) {
    return this.db
      .updateTable('audiences')
      .where('id', '=', claim.id)
      .where('task_id', '=', claim.taskId)
      .where('lease_holder', '=', claim.holder);
  }

  /** Extends the lease of a run this holder still has; false when it lost it. */
  async renew(claim: Claim, now: number, ttlMs: number): Promise<boolean> {
    const r = await this.held(claim)
      .set({ lease_until: now + ttlMs })
      .where('lease_until', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Processing → Syncing: the results are being written. */
  async syncing(claim: Claim, now: number, ttlMs: number): Promise<boolean> {
    const r = await this.held(claim)
      .set({ status: 'Syncing', lease_until: now + ttlMs, updated_at: now })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Syncing → Completed with the run's counts, the run's rows now served. Returns the run that was
   * served before (its rows can go), or false when the run was taken away meanwhile.
   */
  async complete(claim: Claim, result: RunResult, now: number, renewTime: number | null): Promise<{ previousRun: string | null } | false> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('audiences').select(['result_run']).where('id', '=', claim.id).executeTakeFirst();
      const r = await trx
        .updateTable('audiences')
        .set({
          status: 'Completed',
          result_run: result.resultRun,
          record_count: result.recordCount,
          distinct_profile_count: result.distinctProfileCount,
          bucket_counts: result.bucketCounts,
          error: null,
          attempts: 0,
          lease_holder: null,
          lease_until: null,
          completed_at: now,
          updated_at: now,
        })
        .where('id', '=', claim.id)
        .where('task_id', '=', claim.taskId)
        .where('lease_holder', '=', claim.holder)
        .where('status', '=', 'Syncing')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      // A scheduled time that passed while the run ran is not run again right after it.
      if (renewTime !== null) {
        await trx
          .updateTable('audiences')
          .set({ renew_time: renewTime })
          .where('id', '=', claim.id)
          .where('renew_time', 'is not', null)
          .where('renew_time', '<=', now)
          .execute();
      }
      return { previousRun: before?.result_run ?? null };
    });
  }

  /** A failed run: back to Pending until `retryAt` (null: no retry left, Failed). */
  async failed(claim: Claim, error: string, now: number, retryAt: number | null): Promise<boolean> {
    const r = await this.held(claim)
      .set({
        status: retryAt === null ? 'Failed' : 'Pending',
        error,
        next_attempt_at: retryAt,
        lease_holder: null,
        lease_until: null,
        ...(retryAt === null ? { attempts: 0 } : {}),
        updated_at: now,
      })
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Audiences whose scheduled time has come, not paused, not already queued or running. */
  async due(now: number, limit: number): Promise<AudienceRow[]> {
    return this.db
      .selectFrom('audiences')
      .selectAll()
      .where('renew_time', 'is not', null)
      .where('renew_time', '<=', now)
      .where('paused_at', 'is', null)
      .where('status', 'in', ['Completed', 'Failed'])
      .orderBy('renew_time')
      .limit(limit)
      .execute();
  }

  /** Queues a due audience's run and moves its schedule on, unless another process did first. */
  async queueScheduled(id: number, dueAt: number, nextRenew: number | null, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('audiences')
      .set({ status: 'Pending', task_id: null, attempts: 0, next_attempt_at: null, renew_time: nextRenew, updated_at: now })
      .where('id', '=', id)
      .where('renew_time', '=', dueAt)
      .where('paused_at', 'is', null)
      .where('status', 'in', ['Completed', 'Failed'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Pauses a due audience whose organization or project is no longer active. */
  async pauseInactive(id: number, dueAt: number, reason: PauseReason, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('audiences')
      .set({ paused_at: now, pause_reason: reason, previous_renew_time: dueAt, renew_time: null, updated_at: now })
      .where('id', '=', id)
      .where('renew_time', '=', dueAt)
      .where('paused_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
