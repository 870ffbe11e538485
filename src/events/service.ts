// Reading events: pages (offset within Delivr's 25-hour window, or keyset cursor over any range),
// counts with buckets, the streaming export, and the dashboard's newest-first pages. Every read is
// scoped to one organization; pixel and project ids from elsewhere are "not found". Every store read
// goes through the query gate (analytics/query-gate.ts): a deadline, the organization's share of
// concurrent queries, and cancellation through `signal` (the client's request) or at shutdown.

import type { QueryGate } from '../analytics/query-gate.js';
import { defaultFields } from '../analytics/resolution.js';
import type { AnalyticsStore } from '../analytics/types.js';
import { type EventQuery, type EventRecord, type FieldName, QUERY_FIELDS, type QueryOptions, type ValueCount } from '../analytics/types.js';
import type { PixelsService } from '../pixels/service.js';
import { fail } from '../platform/errors.js';
import type { ProjectsService } from '../projects/service.js';
import {
  DEFAULT_LIMIT,
  decodeCursor,
  type EventsParams,
  encodeCursor,
  LONG_WINDOW_MS,
  OFFSET_WINDOW_MS,
  queryShape,
  resolveScope,
  timeRange,
} from './query.js';
import type {
  CountsQueryParams,
  EventCounts,
  EventsPage,
  EventsQueryParams,
  ExportQueryParams,
  RecentEventsPage,
  RecentQueryParams,
} from './schemas.js';

const LONG_HINT = 'the time range may span at most 400 days';
const OFFSET_HINT =
  'end - start must be at most 25 hours for offset paging; use cursor paging (cursor, page_size) or /api/v2/events/export for longer ranges';
const EXPORT_PAGE = 5000;

type Keyset = { ts_millis: number; event_id: string };

export class EventsService {
  constructor(
    private readonly analytics: AnalyticsStore,
    private readonly projects: ProjectsService,
    private readonly pixels: PixelsService,
    private readonly gate: QueryGate,
  ) {}

  private async baseQuery(
    organizationId: string,
    p: EventsParams,
    v1: boolean,
    maxWindowMs: number,
    hint: string,
    raw: boolean,
  ): Promise<EventQuery> {
    const range = timeRange(p, maxWindowMs, hint);
    const pixelIds = await resolveScope(this.projects, this.pixels, organizationId, p, { v1 });
    return { organizationId, pixelIds, ...range, ...queryShape(p, raw) };
  }

  /** One page of events for an organization: offset paging within 25 hours, or cursor paging. */
  async list(organizationId: string, p: EventsQueryParams, v1: boolean, raw = false, signal?: AbortSignal): Promise<EventsPage> {
    const cursorMode = p.cursor !== undefined || p.page_size !== undefined;
    if (!cursorMode) {
      const q = await this.baseQuery(organizationId, p, v1, OFFSET_WINDOW_MS, OFFSET_HINT, raw);
      const limit = p.limit ?? DEFAULT_LIMIT;
      const offset = p.offset ?? 0;
      const events = await this.gate.run(organizationId, signal, (o) => this.analytics.queryEvents({ ...q, limit, offset }, o));
      return { events, count: events.length, limit, offset };
    }
    if (p.offset !== undefined) throw fail('invalid_parameters', 'use either offset or cursor, not both');
    if (p.distinct !== undefined) throw fail('invalid_parameters', 'distinct is not available with cursor paging');
    const q = await this.baseQuery(organizationId, p, v1, LONG_WINDOW_MS, LONG_HINT, raw);
    const limit = p.page_size ?? p.limit ?? DEFAULT_LIMIT;
    const after = p.cursor ? decodeCursor(p.cursor) : undefined;
    const { rows, next } = await this.gate.run(organizationId, signal, (o) => this.keysetPage(q, limit, after, o));
    return { events: rows, count: rows.length, limit, next_cursor: next ? encodeCursor(next) : null };
  }

  /** Count (or distinct count) with optional hourly/daily buckets. */
  async count(organizationId: string, p: CountsQueryParams, v1: boolean, raw = false, signal?: AbortSignal): Promise<EventCounts> {
    const q = await this.baseQuery(organizationId, p, v1, LONG_WINDOW_MS, LONG_HINT, raw);
    const interval = p.interval;
    if (interval && q.distinct) throw fail('invalid_parameters', 'interval and distinct cannot be combined');
    return this.gate.run(organizationId, signal, async (o) => {
      const count = await this.analytics.countEvents(q, o);
      if (!interval) return { count };
      const buckets = await this.analytics.countByBucket(q, interval, o);
      return { count, buckets: buckets.map((b) => ({ start_ms: b.bucket_start_ms, count: b.count })) };
    });
  }

  /** Counts per value of one field (per person with `hem_sha256`), most frequent first, in one pass. */
  async countByValue(
    organizationId: string,
    p: CountsQueryParams,
    field: FieldName,
    v1: boolean,
    signal?: AbortSignal,
  ): Promise<ValueCount[]> {
    const q = await this.baseQuery(organizationId, p, v1, LONG_WINDOW_MS, LONG_HINT, false);
    return this.gate.run(organizationId, signal, (o) => this.analytics.countByValue(q, field, o));
  }

  /**
   * Every matching event over any range, in keyset pages, with the columns asked for. Checks the
   * parameters and reads the first page before it returns, so a bad request (or one refused or
   * timed out) fails before the response starts. Each page is
   * one query through the gate (its own deadline and turn), so a slow reader holds no slot between
   * pages; `signal` stops the export when the client goes away.
   */
  async export(
    organizationId: string,
    p: ExportQueryParams,
    raw = false,
    signal?: AbortSignal,
    /** v1 scoping: organization_id may stand for every pixel of the organization (the dashboard's "All pixels"). */
    v1 = false,
  ): Promise<{ columns: readonly FieldName[]; rows: AsyncGenerator<EventRecord[]> }> {
    if (p.distinct !== undefined) throw fail('invalid_parameters', 'distinct is not available on exports');
    const q = await this.baseQuery(organizationId, p, v1, LONG_WINDOW_MS, LONG_HINT, raw);
    const columns: readonly FieldName[] = q.select ?? defaultFields(q);
    const page = (after: Keyset | undefined) => this.gate.run(organizationId, signal, (o) => this.keysetPage(q, EXPORT_PAGE, after, o));
    // The first page is read before returning: a refusal or timeout then gets its status code.
    const first = await page(undefined);
    async function* rows(): AsyncGenerator<EventRecord[]> {
      let current = first;
      for (;;) {
        if (current.rows.length > 0) yield current.rows;
        if (!current.next) return;
        current = await page(current.next);
      }
    }
    return { columns, rows: rows() };
  }

  /**
   * The dashboard's Events page: newest events first, one page at a time (page 0 is the newest),
   * while the store pages oldest first (keyset on ts_millis, event_id). Pages are counted from the
   * newest end, and the hourly counts narrow each read to the hour where its page starts, so the
   * offset stays within one hour's events.
   */
  async recent(organizationId: string, p: RecentQueryParams, signal?: AbortSignal): Promise<RecentEventsPage> {
    const scope = p.pixel_id || p.project_id ? p : { ...p, organization_id: organizationId };
    const range = timeRange(p, LONG_WINDOW_MS, LONG_HINT);
    const pixelIds = await resolveScope(this.projects, this.pixels, organizationId, scope, { v1: true });
    const { filter } = queryShape({ filter: p.filter, include_bots: p.include_bots });
    const q: EventQuery = { organizationId, pixelIds, ...range, ...(filter ? { filter } : {}) };

    const limit = p.limit ?? 50;
    const page = p.page ?? 0;
    return this.gate.run(organizationId, signal, (o) => this.recentPage(q, range.startMs, limit, page, o));
  }

  private async recentPage(q: EventQuery, rangeStart: number, limit: number, page: number, o: QueryOptions): Promise<RecentEventsPage> {
    // The hourly counts also give the total (no distinct here): one pass over the range, not two.
    const buckets = await this.analytics.countByBucket(q, 'hour', o);
    const count = buckets.reduce((n, b) => n + b.count, 0);
    // This page, as ascending positions [lo, hi) in the range.
    const hi = count - page * limit;
    const lo = Math.max(0, hi - limit);
    if (hi <= 0) return { events: [], count, limit, page, has_more: false };

    let before = 0;
    let startMs = rangeStart;
    for (const b of buckets) {
      if (before + b.count > lo) {
        startMs = Math.max(rangeStart, b.bucket_start_ms);
        break;
      }
      before += b.count;
    }
    const rows = await this.analytics.queryEvents({ ...q, startMs, limit: hi - lo, offset: lo - before }, o);
    // Without `select` every column comes back, event_id, event_type and ts_millis among them.
    return { events: rows.reverse() as RecentEventsPage['events'], count, limit, page, has_more: lo > 0 };
  }

  /** One keyset page; the cursor columns are fetched even when `select` leaves them out. */
  private async keysetPage(
    q: EventQuery,
    limit: number,
    after: Keyset | undefined,
    o: QueryOptions,
  ): Promise<{ rows: EventRecord[]; next: Keyset | null }> {
    const select = q.select ? [...new Set<FieldName>([...q.select, 'ts_millis', 'event_id'])] : undefined;
    const rows = await this.analytics.queryEvents({ ...q, ...(select ? { select } : {}), limit, ...(after ? { after } : {}) }, o);
    const last = rows[rows.length - 1];
    const next = rows.length === limit && last ? { ts_millis: Number(last.ts_millis), event_id: String(last.event_id) } : null;
    if (q.select && select && select.length !== q.select.length) {
      const keep = new Set(q.select);
      for (const r of rows) for (const k of Object.keys(r) as FieldName[]) if (!keep.has(k)) delete r[k];
    }
    return { rows, next };
  }

  /** events_schema: every field a query can return (stored columns, then identity fields), with Arrow type names. */
  schema(source: string | undefined): { fields: { name: string; data_type: string; nullable: boolean }[] } {
    const s = source ?? 'pixel';
    if (s !== 'pixel') {
      throw fail(
        'invalid_parameters',
        s === 'dsp' || s === 'delivrdsp' ? 'source=dsp is not available on this server' : 'source must be pixel or dsp',
      );
    }
    return { fields: QUERY_FIELDS.map((f) => ({ name: f.name, data_type: f.data_type, nullable: f.nullable })) };
  }
}
