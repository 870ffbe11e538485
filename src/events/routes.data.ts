// The Events API (spec section 4, decisions in 16): v1 and v2 events with offset paging inside
// Delivr's 25-hour window, cursor paging and a streaming export for any range, counts (with optional
// hourly/daily buckets) and events_schema. Every call is scoped to the caller's organization.
import type { FastifyRequest } from 'fastify';
import type { DataPrincipal } from '../auth/guards.js';
import { type App, errorResponses, headerValue, rawResponse } from '../platform/http.js';
import type { Services } from '../services.js';
import { sendExport } from './export.js';
import { CountsOut, CountsQuery, EventsOut, EventsQuery, ExportQuery, FieldsOut, SchemaQuery } from './schemas.js';

const tags = ['Events'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];

/**
 * Delivr's older events docs: a legacy user-JWT caller gets identity only when it names the
 * organization with x-organization-id; without it, raw stored events. Key + secret callers always do.
 */
const rawFor = (who: DataPrincipal, req: FastifyRequest): boolean => who.kind === 'user_jwt' && !headerValue(req, 'x-organization-id');

export function eventsDataRoutes(app: App, { auth, events }: Pick<Services, 'auth' | 'events'>): void {
  for (const version of ['v1', 'v2'] as const) {
    app.get(
      `/api/${version}/events`,
      {
        schema: {
          tags,
          summary: `Query events (${version}): offset paging within 25 hours, or cursor paging over any range`,
          security,
          querystring: EventsQuery,
          response: { 200: EventsOut, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req, reply) => {
        const who = await auth.data(req, reply);
        return events.list(who.organizationId, req.query, version === 'v1', rawFor(who, req), req.signal);
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
          response: { 200: CountsOut, ...errorResponses(400, 401, 403, 404, 429, 503) },
        },
      },
      async (req, reply) => {
        const who = await auth.data(req, reply);
        return events.count(who.organizationId, req.query, version === 'v1', rawFor(who, req), req.signal);
      },
    );

    app.get(
      `/api/${version}/events_schema`,
      {
        schema: {
          tags,
          summary: 'Fields an events query can return, with Arrow type names',
          security: [{ apiKey: [], apiSecret: [] }],
          querystring: SchemaQuery,
          response: { 200: FieldsOut, ...errorResponses(400, 401, 403, 429) },
        },
      },
      async (req, reply) => {
        await auth.data(req, reply);
        return events.schema(req.query.source);
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
        querystring: ExportQuery,
        response: {
          200: rawResponse('NDJSON, one event per line, or CSV with a header row', 'application/x-ndjson', 'text/csv'),
          ...errorResponses(400, 401, 403, 404, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const format = req.query.format ?? 'ndjson';
      const { columns, rows } = await events.export(who.organizationId, req.query, rawFor(who, req), req.signal);
      return sendExport(reply, format, columns, rows);
    },
  );
}
