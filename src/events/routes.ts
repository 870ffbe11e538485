// The Events API (spec section 4, decisions in 16): v1 and v2 events with offset paging inside
// Delivr's 25-hour window, cursor paging and a streaming export for any range, and counts (with
// optional hourly/daily buckets). Every call is scoped to the caller's organization.
import { Readable } from 'node:stream';
import { type Static, Type } from 'typebox';
import { EVENT_FIELDS, type EventQuery, type EventRecord, type FieldName } from '../analytics/types.js';
import { dataAuth } from '../auth/guards.js';
import { csvLines } from '../platform/csv.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import {
  DEFAULT_LIMIT,
  decodeCursor,
  type EventsParams,
  encodeCursor,
  LONG_WINDOW_MS,
  MAX_LIMIT,
  OFFSET_WINDOW_MS,
  queryShape,
  resolveScope,
  timeRange,
} from './query.js';

const tags = ['Events'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];
const S = (max = 200) => Type.Optional(Type.String({ maxLength: max }));

const CommonParams = {
  source: S(50),
  pixel_id: S(100),
  project_id: S(100),
  organization_id: S(100),
  campaign_id: S(100),
  start_ms: S(20),
  end_ms: S(20),
  start_time: S(40),
  end_time: S(40),
  filter: S(20_000),
  select: S(2000),
  distinct: S(2000),
  include_bots: S(10),
};

const EventsQuery = Type.Object({
  ...CommonParams,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  cursor: S(500),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
});

const EventsOut = Type.Object({
  events: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  count: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Optional(Type.Integer()),
  next_cursor: Type.Optional(Type.Union([Type.String(), Type.Null()])),
});

const CountsQuery = Type.Object({ ...CommonParams, interval: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])) });

const CountsOut = Type.Object({
  count: Type.Integer(),
  buckets: Type.Optional(Type.Array(Type.Object({ start_ms: Type.Integer(), count: Type.Integer() }))),
});

const LONG_HINT = 'the time range may span at most 400 days';
const OFFSET_HINT =
  'end - start must be at most 25 hours for offset paging; use cursor paging (cursor, page_size) or /api/v2/events/export for longer ranges';

async function baseQuery(
  s: Services,
  organizationId: string,
  p: EventsParams,
  v1: boolean,
  maxWindowMs: number,
  hint: string,
): Promise<EventQuery> {
  const range = timeRange(p, maxWindowMs, hint);
  const pixelIds = await resolveScope(s.store, s.projects, organizationId, p, { v1 });
  return { organizationId, pixelIds, ...range, ...queryShape(p) };
}

export type EventsQueryParams = Static<typeof EventsQuery>;
export type CountsQueryParams = Static<typeof CountsQuery>;

/** One page of events for an organization: offset paging within 25 hours, or cursor paging. */
export async function listEvents(s: Services, organizationId: string, p: EventsQueryParams, v1: boolean) {
  const cursorMode = p.cursor !== undefined || p.page_size !== undefined;
  if (!cursorMode) {
    const q = await baseQuery(s, organizationId, p, v1, OFFSET_WINDOW_MS, OFFSET_HINT);
    const limit = p.limit ?? DEFAULT_LIMIT;
    const offset = p.offset ?? 0;
    const events = await s.analytics.queryEvents({ ...q, limit, offset });
    return { events, count: events.length, limit, offset };
  }
  if (p.offset !== undefined) throw fail('invalid_parameters', 'use either offset or cursor, not both');
  if (p.distinct !== undefined) throw fail('invalid_parameters', 'distinct is not available with cursor paging');
  const q = await baseQuery(s, organizationId, p, v1, LONG_WINDOW_MS, LONG_HINT);
  const limit = p.page_size ?? p.limit ?? DEFAULT_LIMIT;
  const after = p.cursor ? decodeCursor(p.cursor) : undefined;
  const { rows, next } = await keysetPage(s, q, limit, after);
  return { events: rows, count: rows.length, limit, next_cursor: next ? encodeCursor(next) : null };
}

/** Count (or distinct count) with optional hourly/daily buckets. */
export async function countEvents(s: Services, organizationId: string, p: CountsQueryParams, v1: boolean) {
  const q = await baseQuery(s, organizationId, p, v1, LONG_WINDOW_MS, LONG_HINT);
  const count = await s.analytics.countEvents(q);
  if (!p.interval) return { count };
  if (q.distinct) throw fail('invalid_parameters', 'interval and distinct cannot be combined');
  const buckets = await s.analytics.countByBucket(q, p.interval);
  return { count, buckets: buckets.map((b) => ({ start_ms: b.bucket_start_ms, count: b.count })) };
}

export { CountsOut, CountsQuery, EventsOut, EventsQuery };

export function eventsRoutes(app: App, s: Services): void {
  for (const version of ['v1', 'v2'] as const) {
    app.get(
      `/api/${version}/events`,
      {
        schema: {
          tags,
          summary: `Query events (${version}): offset paging within 25 hours, or cursor paging over any range`,
          security,
          querystring: EventsQuery,
          response: { 200: EventsOut, ...errorResponses(400, 401, 404, 429) },
        },
      },
      async (req, reply) => {
        const who = await dataAuth(s, req, reply);
        return listEvents(s, who.organizationId, req.query, version === 'v1');
      },
    );

    app.get(
      `/api/${version}/event_counts`,
      {
        schema: {
          tags,
          summary: `Count events (${version}); distinct counts tuples; interval=hour|day adds buckets`,
          security,
          querystring: CountsQuery,
          response: { 200: CountsOut, ...errorResponses(400, 401, 404, 429) },
        },
      },
      async (req, reply) => {
        const who = await dataAuth(s, req, reply);
        return countEvents(s, who.organizationId, req.query, version === 'v1');
      },
    );
  }

  app.get(
    '/api/v2/events/export',
    {
      schema: {
        tags,
        summary: 'Stream every matching event over any range as NDJSON (default) or CSV',
        security,
        querystring: Type.Object({ ...CommonParams, format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('csv')])) }),
        ...errorResponses(400, 401, 404, 429),
      },
    },
    async (req, reply) => {
      const who = await dataAuth(s, req, reply);
      if (req.query.distinct !== undefined) throw fail('invalid_parameters', 'distinct is not available on exports');
      const q = await baseQuery(s, who.organizationId, req.query, false, LONG_WINDOW_MS, LONG_HINT);
      const format = req.query.format ?? 'ndjson';
      const columns: readonly FieldName[] = q.select ?? EVENT_FIELDS.map((f) => f.name as FieldName);
      async function* lines(): AsyncGenerator<string> {
        if (format === 'csv') yield csvLines([columns]);
        let after: { ts_millis: number; event_id: string } | undefined;
        for (;;) {
          const { rows, next } = await keysetPage(s, q, 5000, after);
          const chunk =
            format === 'csv' ? csvLines(rows.map((r) => columns.map((c) => r[c]))) : rows.map((r) => `${JSON.stringify(r)}\n`).join('');
          if (chunk) yield chunk;
          if (!next) return;
          after = next;
        }
      }
      reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('Content-Disposition', `attachment; filename="events.${format === 'csv' ? 'csv' : 'ndjson'}"`);
      return reply.send(Readable.from(lines()));
    },
  );
}

/** One keyset page; the cursor columns are fetched even when `select` leaves them out. */
async function keysetPage(
  s: Services,
  q: EventQuery,
  limit: number,
  after: { ts_millis: number; event_id: string } | undefined,
): Promise<{ rows: EventRecord[]; next: { ts_millis: number; event_id: string } | null }> {
  const select = q.select ? [...new Set<FieldName>([...q.select, 'ts_millis', 'event_id'])] : undefined;
  const rows = await s.analytics.queryEvents({ ...q, ...(select ? { select } : {}), limit, ...(after ? { after } : {}) });
  const last = rows[rows.length - 1];
  const next = rows.length === limit && last ? { ts_millis: Number(last.ts_millis), event_id: String(last.event_id) } : null;
  if (q.select && select && select.length !== q.select.length) {
    const keep = new Set(q.select);
    for (const r of rows) for (const k of Object.keys(r) as FieldName[]) if (!keep.has(k)) delete r[k];
  }
  return { rows, next };
}
