// Session-API additions the web dashboard needs and the Events API does not offer: the Events
// page lists the newest events first, while every Events API read pages oldest first (keyset on
// ts_millis, event_id). Pages are counted from the newest end, and the hourly counts narrow each
// read to the hour where its page starts, so the offset stays within one hour's events.
import { Type } from 'typebox';
import type { EventQuery } from '../analytics/types.js';
import { organizationRole, sessionAuth } from '../auth/guards.js';
import { LONG_WINDOW_MS, queryShape, resolveScope, timeRange } from '../events/query.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';

const S = (max: number) => Type.Optional(Type.String({ maxLength: max }));

const RecentQuery = Type.Object({
  pixel_id: S(100),
  project_id: S(100),
  start_ms: S(20),
  end_ms: S(20),
  filter: S(20_000),
  include_bots: S(10),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  page: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
});

const RecentOut = Type.Object({
  events: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  count: Type.Integer(),
  limit: Type.Integer(),
  page: Type.Integer(),
  has_more: Type.Boolean(),
});

export function dashboardExtraRoutes(app: App, s: Services): void {
  app.get(
    '/dashboard/api/orgs/:org_id/recent-events',
    {
      schema: {
        tags: ['Dashboard session API'],
        summary: 'The newest events first, one page at a time (page 0 is the newest), for the Events page',
        security: [{ sessionCookie: [] }],
        params: Type.Object({ org_id: Type.String({ minLength: 1, maxLength: 100 }) }),
        querystring: RecentQuery,
        response: { 200: RecentOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      // Every member may read events, as on the other dashboard event routes.
      const who = await sessionAuth(s, req);
      const orgId = req.params.org_id;
      await organizationRole(s, orgId, who.user.id);
      const p = req.query;
      const scope = p.pixel_id || p.project_id ? p : { ...p, organization_id: orgId };
      const range = timeRange(p, LONG_WINDOW_MS, 'the time range may span at most 400 days');
      const pixelIds = await resolveScope(s.store, s.projects, orgId, scope, { v1: true });
      const { filter } = queryShape({ filter: p.filter, include_bots: p.include_bots });
      const q: EventQuery = { organizationId: orgId, pixelIds, ...range, ...(filter ? { filter } : {}) };

      const limit = p.limit ?? 50;
      const page = p.page ?? 0;
      const count = await s.analytics.countEvents(q);
      // This page, as ascending positions [lo, hi) in the range.
      const hi = count - page * limit;
      const lo = Math.max(0, hi - limit);
      if (hi <= 0) return { events: [], count, limit, page, has_more: false };

      let before = 0;
      let startMs = range.startMs;
      for (const b of await s.analytics.countByBucket(q, 'hour')) {
        if (before + b.count > lo) {
          startMs = Math.max(range.startMs, b.bucket_start_ms);
          break;
        }
        before += b.count;
      }
      const rows = await s.analytics.queryEvents({ ...q, startMs, limit: hi - lo, offset: lo - before });
      return { events: rows.reverse(), count, limit, page, has_more: lo > 0 };
    },
  );
}
