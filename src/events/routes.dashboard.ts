// Events for the dashboard's Events page, behind the session: the same
// service as the Events API, scoped to the organization in the path. Every member may read events;
// without pixel_id/project_id the whole organization is in scope. The page's "Export" downloads the
// current filter through the Events API's streaming export.
import { Type } from 'typebox';
import { type App, errorResponses, rawResponse } from '../platform/http.js';
import type { Services } from '../services.js';
import { sendExport } from './export.js';
import { CountsOut, CountsQuery, EventsOut, EventsQuery, ExportQuery, RecentOut, RecentQuery } from './schemas.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [] }];
const Id = Type.String({ minLength: 1, maxLength: 100 });
const OrgParams = Type.Object({ org_id: Id });

/** Without pixel_id or project_id, a query covers the whole organization of the path. */
function inScope<Q extends { pixel_id?: string; project_id?: string; organization_id?: string }>(query: Q, orgId: string): Q {
  return query.pixel_id || query.project_id ? query : { ...query, organization_id: orgId };
}

export function eventsDashboardRoutes(app: App, { auth, events }: Pick<Services, 'auth' | 'events'>): void {
  app.get(
    '/orgs/:org_id/events',
    {
      schema: {
        tags,
        summary: 'Events of the organization (Events API query parameters)',
        security,
        params: OrgParams,
        querystring: EventsQuery,
        response: { 200: EventsOut, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return events.list(req.params.org_id, inScope(req.query, req.params.org_id), true, false, req.signal);
    },
  );

  app.get(
    '/orgs/:org_id/event_counts',
    {
      schema: {
        tags,
        summary: 'Event counts of the organization, with optional buckets',
        security,
        params: OrgParams,
        querystring: CountsQuery,
        response: { 200: CountsOut, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return events.count(req.params.org_id, inScope(req.query, req.params.org_id), true, false, req.signal);
    },
  );

  app.get(
    '/orgs/:org_id/events/export',
    {
      schema: {
        tags,
        summary: 'Every matching event of the organization as NDJSON (default) or CSV, streamed',
        security,
        params: OrgParams,
        querystring: ExportQuery,
        response: {
          200: rawResponse('NDJSON, one event per line, or CSV with a header row', 'application/x-ndjson', 'text/csv'),
          ...errorResponses(400, 401, 404, 429, 503),
        },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const format = req.query.format ?? 'ndjson';
      const { columns, rows } = await events.export(req.params.org_id, inScope(req.query, req.params.org_id), false, req.signal, true);
      return sendExport(reply, format, columns, rows);
    },
  );

  app.get(
    '/orgs/:org_id/recent-events',
    {
      schema: {
        tags,
        summary: 'The newest events first, one page at a time (page 0 is the newest), for the Events page',
        security,
        params: OrgParams,
        querystring: RecentQuery,
        response: { 200: RecentOut, ...errorResponses(400, 401, 404, 429, 503) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return events.recent(req.params.org_id, req.query, req.signal);
    },
  );
}
