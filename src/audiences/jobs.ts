// The audience worker and scheduler. Any number of server processes run this against one catalog:
//  - the scheduler queues audiences whose renew_time has come (daily 09:00 UTC, weekly Saturday
//    18:00 UTC), not paused ones, and pauses those whose organization or project is no longer active;
//    each queueing is a conditional UPDATE on the old renew_time, so two processes queue it once;
//  - the worker claims a Pending audience with a lease (store.ts: one conditional UPDATE, so exactly
//    one process wins each run), renews the lease while it computes (Processing), writes the rows of
//    its run to the analytics store (Syncing), then completes with the counts and serves the new run; the
//    previous run's rows are deleted. A worker that dies lets its lease run out and another process
//    claims the audience again with a new run id; a failed run records its error and is retried with
//    backoff, up to MAX_ATTEMPTS, then is Failed until its next scheduled time or a refresh;
//  - people erased while a run was computed are taken out of its rows before it is served
//    (identity/erasures.ts).
// Why not a job library: the catalog is SQLite or PostgreSQL, and the maintained Node queues need
// Redis (BullMQ) or PostgreSQL alone (pg-boss, graphile-worker); a claim that is one Kysely UPDATE
// runs on both and is what retention's task lease already does. PostgreSQL's FOR UPDATE SKIP LOCKED
// would only save the losers of a race one cheap retry.
// The clock is injected, so tests run the schedule days ahead without waiting.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { uuidv7 } from '../platform/crypto.js';
import type { ProjectsService } from '../projects/service.js';
import type { AudienceEvaluator, PreparedAudience } from './evaluate.js';
import type { FilterGroup } from './filter.js';
import { nextRunAfter } from './schedule.js';
import type { AudienceRow, Claim } from './store.js';

export const MAX_ATTEMPTS = 3;

export interface AudienceJobsDeps {
  catalog: Pick<Catalog, 'audiences' | 'organizations' | 'erasures'>;
  projects: Pick<ProjectsService, 'getIn'>;
  analytics: Pick<AnalyticsStore, 'deleteAudienceRuns' | 'deleteAudienceMembers'>;
  evaluator: Pick<AudienceEvaluator, 'prepare'>;
  log: Logger;
  now: () => number;
  /** How long a claim lasts without renewal (default 60 s); renewed every third of it. */
  leaseMs?: number;
  /** First retry delay; each further attempt waits four times longer (default 30 s). */
  backoffMs?: number;
  /** Names this process in the lease (default host, pid and a random suffix). */
  holder?: string;
}

export interface RunOutcome {
  audienceId: number;
  outcome: 'completed' | 'retry' | 'failed' | 'lost';
}

export class AudienceJobs {
  readonly holder: string;
  private readonly leaseMs: number;
  private readonly backoffMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private busy = false;
  private again = false;
  private stopped = false;

  constructor(private readonly d: AudienceJobsDeps) {
    this.holder = d.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = d.leaseMs ?? 60_000;
    this.backoffMs = d.backoffMs ?? 30_000;
  }

  /** Queues every audience whose scheduled time has come; returns how many this process queued. */
  async schedule(): Promise<number> {
    const now = this.d.now();
    let queued = 0;
    for (const row of await this.d.catalog.audiences.due(now, 500)) {
      const dueAt = row.renew_time as number;
      const inactive = await this.inactiveReason(row);
      if (inactive) {
        if (await this.d.catalog.audiences.pauseInactive(row.id, dueAt, inactive, now)) {
          this.d.log.info({ audience_id: row.id, reason: inactive }, 'audiences: paused, its organization or project is inactive');
        }
        continue;
      }
      if (await this.d.catalog.audiences.queueScheduled(row.id, dueAt, nextRunAfter(row.refresh_schedule, now), now)) queued += 1;
    }
    return queued;
  }

  private async inactiveReason(row: AudienceRow): Promise<'org_inactive' | 'project_inactive' | null> {
    const org = await this.d.catalog.organizations.getOrganization(row.organization_id);
    if (!org || org.status !== 'active') return 'org_inactive';
    const project = await this.d.projects.getIn([row.organization_id], row.project_id).catch(() => null);
    return project && project.status === 'active' ? null : 'project_inactive';
  }

  /** Claims and runs one audience; null when none is runnable now. */
  async runNext(): Promise<RunOutcome | null> {
    const row = await this.d.catalog.audiences.claim({
      holder: this.holder,
      now: this.d.now(),
      ttlMs: this.leaseMs,
      newTaskId: () => `run_${uuidv7(this.d.now())}`,
    });
    if (!row) return null;
    return this.run(row);
  }

  /** Runs everything runnable now, one after another (tests; the timer loop does the same). */
  async runPending(): Promise<RunOutcome[]> {
    const out: RunOutcome[] = [];
    for (let r = await this.runNext(); r; r = await this.runNext()) out.push(r);
    return out;
  }

  private async run(row: AudienceRow): Promise<RunOutcome> {
    const claim: Claim = { id: row.id, taskId: row.task_id as string, holder: this.holder };
    const audienceId = row.id;
    const log = this.d.log.child({ audience_id: audienceId, task_id: claim.taskId });
    if (row.attempts > MAX_ATTEMPTS) {
      await this.d.catalog.audiences.failed(
        claim,
        `Gave up after ${MAX_ATTEMPTS} attempts (the worker running it stopped).`,
        this.d.now(),
        null,
      );
      return { audienceId, outcome: 'failed' };
    }
    let lost = false;
    const heartbeat = setInterval(
      () => {
        this.d.catalog.audiences
          .renew(claim, this.d.now(), this.leaseMs)
          .then((held) => {
            if (!held) lost = true;
          })
          .catch((err: unknown) => log.warn({ err }, 'audiences: could not renew the lease'));
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    heartbeat.unref();
    const runKey = { organizationId: row.organization_id, audienceId, runId: claim.taskId };
    let wrote = false;
    let prepared: PreparedAudience | null = null;
    try {
      const started = this.d.now();
      const erasedBefore = await this.d.catalog.erasures.mark();
      prepared = await this.d.evaluator.prepare({
        organizationId: row.organization_id,
        projectId: row.project_id,
        type: row.type,
        filter: JSON.parse(row.filter) as FilterGroup,
        windowDays: row.intent_window_days,
      });
      if (lost || !(await this.d.catalog.audiences.syncing(claim, this.d.now(), this.leaseMs))) return this.abandon(audienceId, log);
      wrote = true;
      // The heartbeat keeps the lease while the rows are written; a lost lease drops them below.
      const e = await prepared.write(runKey);
      // The run may have read someone erased since it started, after their erasure had already
      // cleared the stored runs: out they go before the run is served. (An erasure recorded after
      // this read deletes from the rows written above itself.) Counts stay as computed, as they do
      // for an erasure of a run already served.
      const erased = await this.d.catalog.erasures.since(row.organization_id, erasedBefore);
      if (erased.length > 0) {
        await this.d.analytics.deleteAudienceMembers(runKey, erased);
        log.info({ people: erased.length }, 'audiences: people erased during the run taken out of it');
      }
      if (lost || !(await this.d.catalog.audiences.renew(claim, this.d.now(), this.leaseMs))) {
        await this.dropRun(runKey, log);
        return this.abandon(audienceId, log);
      }
      const now = this.d.now();
      const done = await this.d.catalog.audiences.complete(
        claim,
        {
          resultRun: claim.taskId,
          recordCount: e.recordCount,
          distinctProfileCount: e.distinctProfileCount,
          bucketCounts: JSON.stringify(e.bucketCounts),
        },
        now,
        nextRunAfter(row.refresh_schedule, now),
      );
      if (!done) {
        await this.dropRun(runKey, log);
        return this.abandon(audienceId, log);
      }
      if (done.previousRun && done.previousRun !== claim.taskId) {
        await this.d.analytics
          .deleteAudienceRuns(row.organization_id, audienceId, [done.previousRun])
          .catch((err: unknown) => log.warn({ err }, 'audiences: could not delete the previous run; it is no longer read'));
      }
      log.info({ records: e.recordCount, ms: now - started }, 'audiences: run completed');
      return { audienceId, outcome: 'completed' };
    } catch (err) {
      if (wrote) await this.dropRun(runKey, log);
      const message = err instanceof Error ? err.message : String(err);
      const now = this.d.now();
      const retryAt = row.attempts < MAX_ATTEMPTS ? now + this.backoffMs * 4 ** (row.attempts - 1) : null;
      await this.d.catalog.audiences.failed(claim, message.slice(0, 500), now, retryAt).catch(() => undefined);
      log.warn({ err, attempt: row.attempts, retry_at: retryAt }, 'audiences: run failed');
      return { audienceId, outcome: retryAt === null ? 'failed' : 'retry' };
    } finally {
      clearInterval(heartbeat);
      await prepared?.discard().catch((err: unknown) => log.warn({ err }, "audiences: could not drop a build's staged scores"));
    }
  }

  private abandon(audienceId: number, log: Logger): RunOutcome {
    log.info('audiences: run superseded (refreshed, edited, deleted or lease lost); its results are dropped');
    return { audienceId, outcome: 'lost' };
  }

  private async dropRun(key: { organizationId: string; audienceId: number; runId: string }, log: Logger): Promise<void> {
    await this.d.analytics
      .deleteAudienceRuns(key.organizationId, key.audienceId, [key.runId])
      .catch((err: unknown) => log.warn({ err }, 'audiences: could not delete the rows of a dropped run'));
  }

  /** Polls every `pollMs` (schedule, then run what is runnable); `nudge()` polls at once. */
  start(pollMs: number): void {
    if (pollMs <= 0 || this.timer || this.stopped) return;
    const loop = (): void => {
      this.timer = setTimeout(() => {
        this.tick().finally(() => {
          if (!this.stopped) loop();
        });
      }, pollMs);
      this.timer.unref();
    };
    loop();
    this.d.log.info({ poll_ms: pollMs, holder: this.holder }, 'audiences: worker started');
  }

  /** Something was queued on this process: run it now rather than at the next poll. */
  nudge(): void {
    if (!this.timer || this.stopped) return;
    void this.tick();
  }

  private tick(): Promise<unknown> {
    if (this.busy) {
      this.again = true;
      return this.running;
    }
    this.busy = true;
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.schedule();
          while (!this.stopped && (await this.runNext())) {}
        } catch (err) {
          this.d.log.error({ err }, 'audiences: worker pass failed; the next poll tries again');
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.busy = false;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }
}
