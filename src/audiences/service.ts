// Audiences (spec sections 5 and 16): saved questions about the organization's people, answered in
// the background (jobs.ts) and handed over as a sample and a download. This service is what both
// the data API (key + secret) and the dashboard (session) call; it checks the project and the
// filter, keeps the lifecycle rules (refresh, pause, resume and their 409s) and reads the served
// run's rows from the analytics store. Every read names the caller's organization, so another
// tenant's audience is "not found".
import type { Logger } from 'pino';
import type { AnalyticsStore } from '../analytics/types.js';
import type { Catalog } from '../catalog/catalog.js';
import { HEM_FIELDS, IDENTITY_FIELDS } from '../identity/fields.js';
import { fail } from '../platform/errors.js';
import { formatIso } from '../platform/time.js';
import type { ProjectsService } from '../projects/service.js';
import type { Project } from '../projects/store.js';
import type { TaxonomyService } from '../taxonomy/service.js';
import type { AudienceEvaluator } from './evaluate.js';
import { type FilterGroup, validateFilter } from './filter.js';
import type { AudienceCounts, AudienceMember } from './results.js';
import { nextRunAfter } from './schedule.js';
import {
  type AudienceContact,
  type AudienceCreateInput,
  type AudienceFilterInput,
  type AudiencePatchInput,
  type AudiencePreviewBody,
  type AudienceView,
  WINDOW_DAYS,
} from './schemas.js';
import type { AudienceChanges, AudienceRow, AudienceType, RefreshSchedule } from './store.js';

/** Rows read from the analytics store per page of a download. */
const DOWNLOAD_PAGE = 10_000;
const DEFAULT_SAMPLE = 25;
const MAX_ID = 2_147_483_647;

/** The profile columns of a contact, in download order. */
export const CONTACT_PROFILE_KEYS: readonly string[] = [...HEM_FIELDS, ...IDENTITY_FIELDS].map((f) => f.key);

/** The download's columns, in order: the profile, then what the audience adds. */
export const DOWNLOAD_COLUMNS: readonly string[] = [
  ...CONTACT_PROFILE_KEYS,
  'intent_score',
  'intent_frequency',
  'impression_count',
  'matched_topics',
];

export interface AudiencesDeps {
  catalog: Pick<Catalog, 'audiences' | 'organizations'>;
  projects: Pick<ProjectsService, 'get'>;
  taxonomy: Pick<TaxonomyService, 'topicNames' | 'getTopic'>;
  analytics: Pick<AnalyticsStore, 'readAudienceRows' | 'deleteAudienceRuns'>;
  evaluator: AudienceEvaluator;
  log: Pick<Logger, 'warn'>;
  now: () => number;
  /** Told when an audience was queued, so this process's worker starts it without waiting for its poll. */
  onQueued?: () => void;
}

/** A path's audience id: a positive integer, or 400 "Invalid audience ID.". */
export function parseAudienceId(raw: string): number {
  if (!/^[0-9]{1,10}$/.test(raw)) throw fail('invalid_audience_id');
  const id = Number(raw);
  if (id < 1 || id > MAX_ID) throw fail('invalid_audience_id');
  return id;
}

const iso = (ms: number | null): string | null => (ms === null ? null : formatIso(ms));

export function audienceView(row: AudienceRow): AudienceView {
  return {
    audience_id: row.id,
    organization_id: row.organization_id,
    project_id: row.project_id,
    name: row.name,
    description: row.description,
    type: row.type,
    status: row.status,
    filter: JSON.parse(row.filter) as AudienceFilterInput,
    refresh_schedule: row.refresh_schedule,
    renew_time: iso(row.renew_time),
    previous_renew_time: iso(row.previous_renew_time),
    paused_at: iso(row.paused_at),
    pause_reason: row.pause_reason,
    task_id: row.task_id,
    intent_window_days: row.intent_window_days,
    bucket_counts: JSON.parse(row.bucket_counts) as Record<string, number>,
    record_count: row.record_count,
    distinct_profile_count: row.distinct_profile_count,
    error: row.error,
    created_at: formatIso(row.created_at),
    updated_at: formatIso(row.updated_at),
    completed_at: iso(row.completed_at),
  };
}

const text = (v: string | number | null | undefined): string | null => (v === null || v === undefined ? null : String(v));

/** One row of a run as the sample and the download give it. */
export function contactOf(m: AudienceMember): AudienceContact {
  const profile = m.profile;
  const cells: Record<string, string | number | null> = {};
  for (const key of CONTACT_PROFILE_KEYS) cells[key] = profile?.[key] ?? null;
  return {
    ...cells,
    hem_sha256: m.hem_sha256,
    hem_md5: text(profile?.hem_md5),
    hem_sha1: text(profile?.hem_sha1),
    intent_score: m.intent_score === null ? null : Math.round(m.intent_score),
    intent_frequency: m.intent_frequency,
    impression_count: 0,
    matched_topics: m.topics,
  };
}

const QUEUED: AudienceChanges = { status: 'Pending', task_id: null, attempts: 0, next_attempt_at: null, error: null };

export class AudiencesService {
  constructor(private readonly d: AudiencesDeps) {}

  /** The project an audiences call names (header, query or body); `required` calls answer 400 without one. */
  async project(organizationId: string, projectId: string | undefined, required: true): Promise<Project>;
  async project(organizationId: string, projectId: string | undefined, required: false): Promise<Project | null>;
  async project(organizationId: string, projectId: string | undefined, required: boolean): Promise<Project | null> {
    if (projectId === undefined || projectId === '') {
      if (required) throw fail('project_required');
      return null;
    }
    return this.d.projects.get(organizationId, projectId);
  }

  private async requireActive(organizationId: string, project: Project): Promise<void> {
    const org = await this.d.catalog.organizations.getOrganization(organizationId);
    if (!org || org.status !== 'active') throw fail('org_inactive');
    if (project.status !== 'active') throw fail('project_inactive');
  }

  private filterOf(organizationId: string, input: unknown, type: AudienceType): Promise<FilterGroup> {
    return validateFilter(input, type, async (ids) => {
      const names = await this.d.taxonomy.topicNames(organizationId, ids);
      const known = new Set(names.keys());
      for (const id of ids) if (!known.has(id) && (await this.d.taxonomy.getTopic(organizationId, id))) known.add(id);
      return known;
    });
  }

  /** Creates and queues the audience (`unload`), or answers its size and stores nothing (`preview`). */
  async create(
    organizationId: string,
    projectId: string | undefined,
    body: AudienceCreateInput,
  ): Promise<{ audience: AudienceView } | AudiencePreviewBody> {
    if (body.organization_id !== undefined && body.organization_id !== organizationId) throw fail('organization_not_found');
    const project = await this.project(organizationId, projectId ?? body.project_id, true);
    const filter = await this.filterOf(organizationId, body.filter, body.type);
    const windowDays = body.intent_window_days ?? WINDOW_DAYS.default;
    if (body.mode === 'preview') {
      const e = await this.d.evaluator.evaluate({ organizationId, projectId: project.id, type: body.type, filter, windowDays });
      return { preview: previewOf(e) };
    }
    await this.requireActive(organizationId, project);
    const now = this.d.now();
    const schedule: RefreshSchedule = body.refresh_schedule ?? 'daily';
    const row = await this.d.catalog.audiences.create({
      organization_id: organizationId,
      project_id: project.id,
      name: body.name,
      description: body.description ?? '',
      type: body.type,
      filter: JSON.stringify(filter),
      refresh_schedule: schedule,
      intent_window_days: windowDays,
      // The first run is queued at once, whatever the schedule.
      status: 'Pending',
      renew_time: nextRunAfter(schedule, now),
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
      created_at: now,
      updated_at: now,
      completed_at: null,
    });
    this.d.onQueued?.();
    return { audience: audienceView(row) };
  }

  async list(organizationId: string, projectId: string | undefined): Promise<{ audiences: AudienceView[]; total: number }> {
    const project = await this.project(organizationId, projectId, true);
    const rows = await this.d.catalog.audiences.list(organizationId, project.id);
    return { audiences: rows.map(audienceView), total: rows.length };
  }

  /** The audience (of the project, when one is named); 400 for a malformed id, 404 when not found. */
  async row(organizationId: string, rawId: string, projectId: string | undefined): Promise<AudienceRow> {
    const id = parseAudienceId(rawId);
    const project = await this.project(organizationId, projectId, false);
    const row = await this.d.catalog.audiences.get(organizationId, id, project?.id);
    if (!row) throw fail('audience_not_found');
    return row;
  }

  async get(organizationId: string, rawId: string, projectId: string | undefined): Promise<{ audience: AudienceView }> {
    return { audience: audienceView(await this.row(organizationId, rawId, projectId)) };
  }

  private async reread(organizationId: string, id: number): Promise<{ audience: AudienceView }> {
    const row = await this.d.catalog.audiences.get(organizationId, id);
    if (!row) throw fail('audience_not_found');
    return { audience: audienceView(row) };
  }

  /**
   * Name, description, filter, window and schedule. A new filter or window queues a run (the served
   * results stay until it completes); a new schedule moves the next run (or, when paused, the one
   * resume restores).
   */
  async patch(
    organizationId: string,
    rawId: string,
    projectId: string | undefined,
    body: AudiencePatchInput,
  ): Promise<{ audience: AudienceView }> {
    const row = await this.row(organizationId, rawId, projectId);
    const keys = ['name', 'description', 'filter', 'intent_window_days', 'refresh_schedule'] as const;
    if (!keys.some((k) => body[k] !== undefined)) {
      throw fail('invalid_parameters', 'nothing to change: give name, description, filter, intent_window_days or refresh_schedule');
    }
    const now = this.d.now();
    const set: AudienceChanges = { updated_at: now };
    if (body.name !== undefined) set.name = body.name;
    if (body.description !== undefined) set.description = body.description;
    let rerun = false;
    if (body.filter !== undefined) {
      set.filter = JSON.stringify(await this.filterOf(organizationId, body.filter, row.type));
      rerun = set.filter !== row.filter;
    }
    if (body.intent_window_days !== undefined && body.intent_window_days !== row.intent_window_days) {
      set.intent_window_days = body.intent_window_days;
      rerun = true;
    }
    if (body.refresh_schedule !== undefined && body.refresh_schedule !== row.refresh_schedule) {
      set.refresh_schedule = body.refresh_schedule;
      const next = nextRunAfter(body.refresh_schedule, now);
      if (row.paused_at === null) set.renew_time = next;
      else set.previous_renew_time = next;
    }
    if (rerun) Object.assign(set, QUEUED);
    if (!(await this.d.catalog.audiences.update(organizationId, row.id, set))) throw fail('audience_not_found');
    if (rerun) this.d.onQueued?.();
    return this.reread(organizationId, row.id);
  }

  /** Back to Pending with task_id cleared, for the worker to run again (409 while Syncing). */
  async refresh(organizationId: string, rawId: string, projectId: string | undefined): Promise<{ audience: AudienceView }> {
    const row = await this.row(organizationId, rawId, projectId);
    if (row.status === 'Syncing') throw fail('audience_syncing');
    const done = await this.d.catalog.audiences.update(
      organizationId,
      row.id,
      { ...QUEUED, updated_at: this.d.now() },
      { notStatus: 'Syncing' },
    );
    if (!done) {
      if (await this.d.catalog.audiences.get(organizationId, row.id)) throw fail('audience_syncing');
      throw fail('audience_not_found');
    }
    this.d.onQueued?.();
    return this.reread(organizationId, row.id);
  }

  /** Stops the schedule (kept in previous_renew_time); a running job and the results stay. */
  async pause(organizationId: string, rawId: string, projectId: string | undefined): Promise<{ audience: AudienceView }> {
    const row = await this.row(organizationId, rawId, projectId);
    if (row.paused_at !== null) throw fail('audience_paused');
    const now = this.d.now();
    const done = await this.d.catalog.audiences.update(
      organizationId,
      row.id,
      { paused_at: now, pause_reason: 'manual', previous_renew_time: row.renew_time, renew_time: null, updated_at: now },
      { paused: false },
    );
    if (!done) throw fail('audience_paused');
    return this.reread(organizationId, row.id);
  }

  /**
   * Clears the pause and restores the schedule: the stashed time if it is still ahead, else the
   * next scheduled time (runs missed while paused are not made up).
   */
  async resume(organizationId: string, rawId: string, projectId: string | undefined): Promise<{ audience: AudienceView }> {
    const row = await this.row(organizationId, rawId, projectId);
    if (row.paused_at === null) throw fail('audience_not_paused');
    await this.requireActive(organizationId, await this.d.projects.get(organizationId, row.project_id));
    const now = this.d.now();
    const stashed = row.previous_renew_time;
    const renew = stashed !== null && stashed > now ? stashed : nextRunAfter(row.refresh_schedule, now);
    const done = await this.d.catalog.audiences.update(
      organizationId,
      row.id,
      { paused_at: null, pause_reason: null, previous_renew_time: null, renew_time: renew, updated_at: now },
      { paused: true },
    );
    if (!done) throw fail('audience_not_paused');
    return this.reread(organizationId, row.id);
  }

  async remove(organizationId: string, rawId: string, projectId: string | undefined): Promise<void> {
    const row = await this.row(organizationId, rawId, projectId);
    if (!(await this.d.catalog.audiences.delete(organizationId, row.id))) throw fail('audience_not_found');
    await this.d.analytics.deleteAudienceRuns(organizationId, row.id, 'all').catch((err: unknown) => {
      this.d.log.warn({ err, audience_id: row.id }, 'audiences: could not delete the rows of a deleted audience');
    });
  }

  /** The first contacts of the served run (none before the first run completes). */
  async sample(
    organizationId: string,
    rawId: string,
    projectId: string | undefined,
    limit = DEFAULT_SAMPLE,
  ): Promise<{ contacts: AudienceContact[] }> {
    const row = await this.row(organizationId, rawId, projectId);
    if (row.result_run === null) return { contacts: [] };
    const rows = await this.d.analytics.readAudienceRows(
      { organizationId, audienceId: row.id, runId: row.result_run },
      { afterRank: -1, limit },
    );
    return { contacts: rows.map(contactOf) };
  }

  /**
   * The served run's contacts, page by page, at most `recordLimit` (0 or absent: all). The run is
   * fixed when the download starts, so a run completing meanwhile does not mix into it.
   */
  async download(
    organizationId: string,
    rawId: string,
    projectId: string | undefined,
    recordLimit: number | undefined,
  ): Promise<{ audience: AudienceRow; pages: AsyncGenerator<AudienceContact[]> }> {
    const row = await this.row(organizationId, rawId, projectId);
    const limit = recordLimit === undefined || recordLimit === 0 ? Number.POSITIVE_INFINITY : recordLimit;
    const analytics = this.d.analytics;
    async function* pages(): AsyncGenerator<AudienceContact[]> {
      if (row.result_run === null) return;
      let after = -1;
      let sent = 0;
      while (sent < limit) {
        const want = Math.min(DOWNLOAD_PAGE, limit - sent);
        const rows = await analytics.readAudienceRows(
          { organizationId, audienceId: row.id, runId: row.result_run },
          { afterRank: after, limit: want },
        );
        if (rows.length === 0) return;
        sent += rows.length;
        after = rows[rows.length - 1]?.rank ?? after;
        yield rows.map(contactOf);
        if (rows.length < want) return;
      }
    }
    return { audience: row, pages: pages() };
  }
}

function previewOf(e: AudienceCounts): AudiencePreviewBody['preview'] {
  return { record_count: e.recordCount, distinct_profile_count: e.distinctProfileCount, bucket_counts: e.bucketCounts };
}
