// The Stats API on the data surface (/api/v1/stats/..., shaped after Plausible's Stats API v1):
// aggregate, timeseries, breakdown and realtime visitors of a pixel or project, with the
// organization's API key and secret (or a user JWT). A legacy user token without x-organization-id
// gets no identity (the company and person properties, identified_visitors), as on the Events API.
import type { FastifyRequest } from 'fastify';
import type { DataPrincipal } from '../auth/guards.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import {
  AggregateOut,
  AggregateQuery,
  BreakdownOut,
  BreakdownQuery,
  RealtimeOut,
  RealtimeQuery,
  TimeseriesOut,
  TimeseriesQuery,
} from './schemas.js';
import type { Caller } from './service.js';

const tags = ['Stats'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];
const errors = errorResponses(400, 401, 403, 404, 429, 503);

const callerOf = (who: DataPrincipal, req: FastifyRequest): Caller => ({
  organizationId: who.organizationId,
  identity: who.kind !== 'user_jwt' || Boolean(headerValue(req, 'x-organization-id')),
});

export function statsDataRoutes(app: App, { auth, stats }: Pick<Services, 'auth' | 'stats'>): void {
  app.get(
    '/api/v1/stats/aggregate',
    {
      schema: {
        tags,
        summary: 'Metrics over a period (visitors, visits, pageviews, ...), optionally against the previous period',
        security,
        querystring: AggregateQuery,
        response: { 200: AggregateOut, ...errors },
      },
    },
    async (req, reply) => stats.aggregate(callerOf(await auth.data(req, reply), req), req.query, req.signal),
  );

  app.get(
    '/api/v1/stats/timeseries',
    {
      schema: {
        tags,
        summary: 'Metrics per hour, day, week or month of a period, in the project’s time zone',
        security,
        querystring: TimeseriesQuery,
        response: { 200: TimeseriesOut, ...errors },
      },
    },
    async (req, reply) => stats.timeseries(callerOf(await auth.data(req, reply), req), req.query, req.signal),
  );

  app.get(
    '/api/v1/stats/breakdown',
    {
      schema: {
        tags,
        summary: 'Top values of a property (page, source, country, company, ...) with metrics, a page at a time',
        security,
        querystring: BreakdownQuery,
        response: { 200: BreakdownOut, ...errors },
      },
    },
    async (req, reply) => stats.breakdown(callerOf(await auth.data(req, reply), req), req.query, req.signal),
  );

  app.get(
    '/api/v1/stats/realtime/visitors',
    {
      schema: {
        tags,
        summary: 'Visitors with an event in the last 5 minutes',
        security,
        querystring: RealtimeQuery,
        response: { 200: RealtimeOut, ...errors },
      },
    },
    async (req, reply) => stats.realtime(callerOf(await auth.data(req, reply), req), req.query, req.signal),
  );
}
