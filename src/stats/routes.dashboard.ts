// The traffic stats for the dashboard's overview page, behind the session: the Stats API's answers
// for the organization of the path (every member may read them), and each panel as a CSV download.
import { Type } from 'typebox';
import { type App, errorResponses, rawResponse } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import {
  AggregateOut,
  AggregateQuery,
  BreakdownOut,
  BreakdownQuery,
  ExportQuery,
  RealtimeOut,
  RealtimeQuery,
  TimeseriesOut,
  TimeseriesQuery,
} from './schemas.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [] }];
const OrgParams = Type.Object({ org_id: Id });
const errors = errorResponses(400, 401, 404, 429, 503);

export function statsDashboardRoutes(app: App, { auth, stats }: Pick<Services, 'auth' | 'stats'>): void {
  const caller = async (req: Parameters<Services['auth']['orgAccess']>[0], orgId: string) => {
    await auth.orgAccess(req, orgId, 'org.read');
    return { organizationId: orgId, identity: true };
  };

  app.get(
    '/orgs/:org_id/stats/aggregate',
    {
      schema: {
        tags,
        summary: 'Stats: metrics over a period',
        security,
        params: OrgParams,
        querystring: AggregateQuery,
        response: { 200: AggregateOut, ...errors },
      },
    },
    async (req) => stats.aggregate(await caller(req, req.params.org_id), req.query, req.signal),
  );

  app.get(
    '/orgs/:org_id/stats/timeseries',
    {
      schema: {
        tags,
        summary: 'Stats: metrics per time bucket',
        security,
        params: OrgParams,
        querystring: TimeseriesQuery,
        response: { 200: TimeseriesOut, ...errors },
      },
    },
    async (req) => stats.timeseries(await caller(req, req.params.org_id), req.query, req.signal),
  );

  app.get(
    '/orgs/:org_id/stats/breakdown',
    {
      schema: {
        tags,
        summary: 'Stats: top values of a property',
        security,
        params: OrgParams,
        querystring: BreakdownQuery,
        response: { 200: BreakdownOut, ...errors },
      },
    },
    async (req) => stats.breakdown(await caller(req, req.params.org_id), req.query, req.signal),
  );

  app.get(
    '/orgs/:org_id/stats/realtime/visitors',
    {
      schema: {
        tags,
        summary: 'Stats: visitors in the last 5 minutes',
        security,
        params: OrgParams,
        querystring: RealtimeQuery,
        response: { 200: RealtimeOut, ...errors },
      },
    },
    async (req) => stats.realtime(await caller(req, req.params.org_id), req.query, req.signal),
  );

  app.get(
    '/orgs/:org_id/stats/export',
    {
      schema: {
        tags,
        summary: 'Stats: a breakdown (with property) or the time series as CSV',
        security,
        params: OrgParams,
        querystring: ExportQuery,
        response: {
          200: rawResponse('CSV with a header row; cells that could run as spreadsheet formulas are escaped', 'text/csv'),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { filename, csv } = await stats.exportCsv(await caller(req, req.params.org_id), req.query, req.signal);
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="${filename.replace(/[^\w.-]/g, '_')}"`)
        .send(csv);
    },
  );
}
