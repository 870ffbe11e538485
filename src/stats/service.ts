// The traffic stats of a pixel or a project: resolves the scope inside the caller's organization,
// reads the period in the project's time zone, asks the analytics store for raw totals and turns
// them into Plausible-shaped metrics (rates, rounding, the change against the previous period).
// The numbers' definitions live in src/analytics/stats.ts; docs/stats.md explains them. Every read
// runs under the query gate (deadline, the organization's share, cancellation when the client goes).
import type { QueryGate } from '../analytics/query-gate.js';
import type { BucketUnit, StatsFilter, StatsProperty, StatsScope, StatsTotals } from '../analytics/stats.js';
import type { AnalyticsStore } from '../analytics/types.js';
import type { PixelsService } from '../pixels/service.js';
import { csvLines } from '../platform/csv.js';
import { fail } from '../platform/errors.js';
import type { ProjectsService } from '../projects/service.js';
import { bucketSpec, bucketsOf, type DayRange, defaultInterval, periodDays, previousDays, rangeOf, todayIn } from './period.js';
import { IDENTITY_PROPERTIES, parseMetrics, parseProperty, parseStatsFilter } from './query.js';
import type {
  AggregateParams,
  BreakdownParams,
  ExportParams,
  Metric,
  Period,
  RealtimeParams,
  StatsAggregate,
  StatsBreakdown,
  StatsBreakdownRow,
  StatsTimeseries,
  TimeseriesParams,
} from './schemas.js';

/** "Visitors now": those with an event in the last five minutes. */
export const REALTIME_WINDOW_MS = 5 * 60_000;

/** What a caller may see: a legacy user token that did not name its organization gets no identity. */
export interface Caller {
  organizationId: string;
  identity: boolean;
}

interface Scope {
  pixelIds: string[];
  zone: string;
}

export function metricValue(m: Metric, t: StatsTotals): number {
  switch (m) {
    case 'visitors':
      return t.visitors;
    case 'visits':
      return t.visits;
    case 'pageviews':
      return t.pageviews;
    case 'events':
      return t.events;
    case 'bounce_rate':
      return t.visits === 0 ? 0 : Math.round((100 * t.bounces) / t.visits);
    case 'visit_duration':
      return t.visits === 0 ? 0 : Math.round(t.durationMs / t.visits / 1000);
    case 'views_per_visit':
      return t.visits === 0 ? 0 : Math.round((100 * t.pageviews) / t.visits) / 100;
    case 'identified_visitors':
      return t.identifiedVisitors;
  }
}

/** Plausible's change: percent against the previous value (100 from nothing), points for bounce_rate. */
export function change(m: Metric, current: number, previous: number): number {
  if (m === 'bounce_rate') return current - previous;
  if (previous === 0) return current === 0 ? 0 : 100;
  return Math.round((100 * (current - previous)) / previous);
}

const metricsOf = (metrics: readonly Metric[], t: StatsTotals): Partial<Record<Metric, number>> =>
  Object.fromEntries(metrics.map((m) => [m, metricValue(m, t)]));

export class StatsService {
  constructor(
    private readonly analytics: AnalyticsStore,
    private readonly projects: ProjectsService,
    private readonly pixels: PixelsService,
    private readonly gate: QueryGate,
    private readonly now: () => number,
  ) {}

  /**
   * The pixels asked for and the project's zone; another tenant's ids answer "not found". Resolved
   * before anything else is checked, so a foreign id is a 404 whatever the other parameters say.
   */
  private async scope(organizationId: string, p: { pixel_id?: string; project_id?: string }): Promise<Scope> {
    if (p.pixel_id) {
      const pixel = await this.pixels.getIn([organizationId], p.pixel_id);
      if (p.project_id && p.project_id !== pixel.project_id) throw fail('invalid_parameters', 'the pixel is not in that project');
      const project = await this.projects.get(organizationId, pixel.project_id);
      return { pixelIds: [pixel.id], zone: project.time_zone };
    }
    if (p.project_id) {
      const project = await this.projects.get(organizationId, p.project_id);
      return { pixelIds: (await this.pixels.list(project)).map((x) => x.id), zone: project.time_zone };
    }
    throw fail('invalid_parameters', 'pixel_id or project_id is required');
  }

  private days(period: Period, date: string | undefined, zone: string): DayRange {
    return periodDays(period, date, todayIn(this.now(), zone));
  }

  private filterOf(caller: Caller, raw: string | undefined, metrics: readonly Metric[], property?: StatsProperty): StatsFilter | undefined {
    const filter = parseStatsFilter(raw);
    if (!caller.identity) {
      const named = [...(filter ?? []).flat().map((c) => c.property), ...(property ? [property] : [])].find((x) =>
        IDENTITY_PROPERTIES.has(x),
      );
      if (named)
        throw fail('invalid_parameters', `"${named}" names people: send x-organization-id with a user token, or use an API key and secret`);
      if (metrics.includes('identified_visitors')) {
        throw fail(
          'invalid_parameters',
          'identified_visitors names people: send x-organization-id with a user token, or use an API key and secret',
        );
      }
    }
    return filter;
  }

  private query(caller: Caller, scope: Scope, days: DayRange, filter: StatsFilter | undefined, metrics: readonly Metric[]): StatsScope {
    const range = rangeOf(days, scope.zone);
    return {
      organizationId: caller.organizationId,
      pixelIds: scope.pixelIds,
      startMs: range.start_ms,
      endMs: range.end_ms,
      ...(filter ? { filter } : {}),
      identified: metrics.includes('identified_visitors'),
      zone: scope.zone,
    };
  }

  async aggregate(caller: Caller, p: AggregateParams, signal?: AbortSignal): Promise<StatsAggregate> {
    const scope = await this.scope(caller.organizationId, p);
    const metrics = parseMetrics(p.metrics);
    const filter = this.filterOf(caller, p.filters, metrics);
    const period = p.period ?? '30d';
    const days = this.days(period, p.date, scope.zone);
    const compare = p.compare === 'previous_period';
    const before = previousDays(period, days);
    // The period and the one before are one turn of the organization's share, read side by side.
    const [current, previous] = await this.gate.run(caller.organizationId, signal, (o) =>
      Promise.all([
        this.analytics.statsTotals(this.query(caller, scope, days, filter, metrics), o),
        compare ? this.analytics.statsTotals(this.query(caller, scope, before, filter, metrics), o) : Promise.resolve(null),
      ]),
    );
    const results: StatsAggregate['results'] = {};
    for (const m of metrics) {
      const value = metricValue(m, current);
      if (previous) {
        const was = metricValue(m, previous);
        results[m] = { value, previous: was, change: change(m, value, was) };
      } else {
        results[m] = { value };
      }
    }
    return { results, range: rangeOf(days, scope.zone), ...(compare ? { previous_range: rangeOf(before, scope.zone) } : {}) };
  }

  async timeseries(caller: Caller, p: TimeseriesParams, signal?: AbortSignal): Promise<StatsTimeseries> {
    const scope = await this.scope(caller.organizationId, p);
    const metrics = parseMetrics(p.metrics);
    const filter = this.filterOf(caller, p.filters, metrics);
    const period = p.period ?? '30d';
    const days = this.days(period, p.date, scope.zone);
    const interval: BucketUnit = p.interval ?? defaultInterval(period, days);
    const buckets = bucketsOf(days, interval, scope.zone);
    const rows = await this.gate.run(caller.organizationId, signal, (o) =>
      this.analytics.statsTimeseries(this.query(caller, scope, days, filter, metrics), bucketSpec(days, interval, scope.zone), o),
    );
    const byKey = new Map(rows.map((r) => [r.bucket, r.totals]));
    const empty: StatsTotals = { visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0, identifiedVisitors: 0 };
    return {
      results: buckets.map((b) => ({ date: b.date, start_ms: b.start_ms, ...metricsOf(metrics, byKey.get(b.key) ?? empty) })),
      interval,
      range: rangeOf(days, scope.zone),
    };
  }

  async breakdown(caller: Caller, p: BreakdownParams, signal?: AbortSignal): Promise<StatsBreakdown> {
    const scope = await this.scope(caller.organizationId, p);
    const metrics = parseMetrics(p.metrics);
    const property = parseProperty(p.property);
    const filter = this.filterOf(caller, p.filters, metrics, property);
    const days = this.days(p.period ?? '30d', p.date, scope.zone);
    const limit = p.limit ?? 100;
    const page = p.page ?? 1;
    const { rows, more } = await this.gate.run(caller.organizationId, signal, (o) =>
      this.analytics.statsBreakdown(this.query(caller, scope, days, filter, metrics), { property, limit, offset: (page - 1) * limit }, o),
    );
    const labels =
      property === 'person'
        ? await this.personLabels(
            caller.organizationId,
            rows.map((r) => r.value),
          )
        : null;
    const results = rows.map((r) => {
      const row: StatsBreakdownRow = { [property]: r.value === '' ? null : r.value, ...metricsOf(metrics, r.totals) };
      const label = labels?.get(r.value);
      if (label) row.label = label;
      return row;
    });
    return { results, property, page, limit, has_more: more, range: rangeOf(days, scope.zone) };
  }

  /** A person's name (or business email) from their profile, for the identified panel. */
  private async personLabels(organizationId: string, hems: readonly string[]): Promise<Map<string, string>> {
    const known = hems.filter((h) => h !== '');
    const profiles = known.length > 0 ? await this.analytics.getProfiles(organizationId, known) : [];
    const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
    return new Map(
      profiles.map((pr) => {
        const name = [text(pr.first_name), text(pr.last_name)].filter(Boolean).join(' ');
        return [pr.hem_sha256, name || text(pr.current_business_email) || text(pr.personal_email) || 'Unnamed person'];
      }),
    );
  }

  async realtime(caller: Caller, p: RealtimeParams, signal?: AbortSignal): Promise<number> {
    const scope = await this.scope(caller.organizationId, p);
    const now = this.now();
    return this.gate.run(caller.organizationId, signal, (o) =>
      this.analytics.statsRealtimeVisitors(caller.organizationId, scope.pixelIds, now - REALTIME_WINDOW_MS, now, o),
    );
  }

  /** A dashboard panel as CSV: the breakdown of `property`, or the time series without one. */
  async exportCsv(caller: Caller, p: ExportParams, signal?: AbortSignal): Promise<{ filename: string; csv: string }> {
    const metrics = parseMetrics(p.metrics);
    if (p.property) {
      const b = await this.breakdown(caller, { ...p, property: p.property, limit: p.limit ?? 1000, page: 1 }, signal);
      const header = [b.property, ...(b.property === 'person' ? ['label'] : []), ...metrics];
      const lines = (b.results as StatsBreakdownRow[]).map((r) => header.map((h) => r[h] ?? ''));
      return { filename: `${b.property}-${b.range.from}-${b.range.to}.csv`, csv: csvLines([header, ...lines]) };
    }
    const t = await this.timeseries(caller, p, signal);
    const header = ['date', ...metrics];
    const lines = t.results.map((r) => header.map((h) => (r as Record<string, unknown>)[h] ?? ''));
    return { filename: `timeseries-${t.range.from}-${t.range.to}.csv`, csv: csvLines([header, ...lines]) };
  }
}
