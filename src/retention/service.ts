// Retention: for every project with `retention_days`, deletes the events of its pixels (deleted
// pixels too, their events are still stored) older than now - retention_days, on DuckDB or
// ClickHouse through AnalyticsStore.deleteEventsBefore. Archived projects are included: archiving
// keeps data, but a retention period is a promise to delete, so it still holds.
//
// Several server processes may run this against one catalog: a pass runs only while this process
// holds the catalog's `retention` task lease (retention/store.ts), and only when no pass started
// within the interval, so the fleet runs one pass per interval, not one per process. The lease is
// renewed after each project; a process that dies mid-pass lets it run out and the next due pass
// starts over (deleting is idempotent). The clock is injected so tests can run a pass "days later".
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/types.js';
import type { Catalog } from '../catalog/catalog.js';
import type { PixelsService } from '../pixels/service.js';
import type { Metrics } from '../platform/metrics.js';
import type { ProjectsService } from '../projects/service.js';

const DAY_MS = 86_400_000;
export const RETENTION_TASK = 'retention';

export interface ProjectRetention {
  organization_id: string;
  project_id: string;
  retention_days: number;
  /** Events with ts_millis before this were deleted. */
  before_ms: number;
  deleted: number;
}

export interface RetentionPass {
  started_ms: number;
  finished_ms: number;
  projects: ProjectRetention[];
  deleted: number;
  /** Projects whose delete failed (logged); they are tried again next pass. */
  failed: number;
  /** True when the lease was lost mid-pass and the rest was left to the next one. */
  interrupted: boolean;
}

export interface RetentionDeps {
  catalog: Pick<Catalog, 'taskLeases'>;
  projects: Pick<ProjectsService, 'listWithRetention'>;
  pixels: Pick<PixelsService, 'pixelIdsEver'>;
  analytics: Pick<AnalyticsStore, 'deleteEventsBefore'>;
  metrics: Pick<Metrics, 'retentionDeleted' | 'retentionPasses'>;
  log: Logger;
  now: () => number;
  /** One pass per this many ms across all processes. */
  intervalMs: number;
  /** How long a lease lasts without renewal (default 10 minutes). */
  leaseMs?: number;
  /** Names this process in the lease row (default: host, pid and a random suffix). */
  holder?: string;
}

export class RetentionService {
  readonly holder: string;
  private readonly leaseMs: number;
  private stopping = false;

  constructor(private readonly d: RetentionDeps) {
    this.holder = d.holder ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = d.leaseMs ?? 10 * 60_000;
  }

  /**
   * Runs one pass if it is due (no pass started within the interval) and no other process is
   * running one; `force` skips the "due" check but still takes the lease. Null when it did not run.
   */
  async runOnce(opts: { force?: boolean } = {}): Promise<RetentionPass | null> {
    const started = this.d.now();
    const lease = { name: RETENTION_TASK, holder: this.holder };
    // A little slack, so a process whose timer fires a moment early does not skip a whole interval.
    const slack = Math.min(this.d.intervalMs / 10, 60_000);
    const dueAfter = opts.force ? started : started - this.d.intervalMs + slack;
    if (!(await this.d.catalog.taskLeases.claimTask({ ...lease, now: started, ttlMs: this.leaseMs, dueAfter }))) {
      this.d.log.debug({ holder: this.holder }, 'retention: pass not due or running elsewhere');
      return null;
    }
    const pass: RetentionPass = { started_ms: started, finished_ms: started, projects: [], deleted: 0, failed: 0, interrupted: false };
    try {
      for (const project of await this.d.projects.listWithRetention()) {
        if (this.stopping) {
          pass.interrupted = true;
          break;
        }
        const days = project.retention_days;
        if (days === null) continue;
        // One "now" for the whole pass: projects that keep the same number of days share one cutoff.
        const before = started - days * DAY_MS;
        try {
          const pixelIds = await this.d.pixels.pixelIdsEver(project.id);
          const deleted = pixelIds.length === 0 ? 0 : await this.d.analytics.deleteEventsBefore(project.organization_id, pixelIds, before);
          const result = {
            organization_id: project.organization_id,
            project_id: project.id,
            retention_days: days,
            before_ms: before,
            deleted,
          };
          pass.projects.push(result);
          pass.deleted += deleted;
          if (deleted > 0) {
            this.d.metrics.retentionDeleted.inc(deleted);
            this.d.log.info(
              { ...result, before: new Date(before).toISOString() },
              'retention: deleted events older than the project keeps',
            );
          }
        } catch (err) {
          pass.failed += 1;
          this.d.log.warn(
            { err, organization_id: project.organization_id, project_id: project.id },
            'retention: delete failed; next pass tries again',
          );
        }
        if (!(await this.d.catalog.taskLeases.renewTask({ ...lease, now: this.d.now(), ttlMs: this.leaseMs }))) {
          this.d.log.warn({ holder: this.holder }, 'retention: lease lost mid-pass; leaving the rest to the next pass');
          pass.interrupted = true;
          break;
        }
      }
    } catch (err) {
      this.d.metrics.retentionPasses.inc({ outcome: 'failed' });
      throw err;
    } finally {
      await this.d.catalog.taskLeases.releaseTask(RETENTION_TASK, this.holder).catch(() => undefined);
    }
    pass.finished_ms = this.d.now();
    const outcome = pass.failed > 0 || pass.interrupted ? 'incomplete' : 'completed';
    this.d.metrics.retentionPasses.inc({ outcome });
    this.d.log.info(
      {
        projects: pass.projects.length,
        deleted: pass.deleted,
        failed: pass.failed,
        interrupted: pass.interrupted,
        ms: pass.finished_ms - started,
      },
      'retention: pass done',
    );
    return pass;
  }

  /** Makes a running pass stop after its current project (shutdown). */
  stop(): void {
    this.stopping = true;
  }
}
