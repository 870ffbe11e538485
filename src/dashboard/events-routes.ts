// Events for the dashboard's Events page and the pixel install check, behind the session: the same
// query code as the Events API (events/routes.ts), scoped to the organization in the path.
import { Type } from 'typebox';
import { organizationRole, sessionAuth } from '../auth/guards.js';
import { CountsOut, CountsQuery, countEvents, EventsOut, EventsQuery, listEvents } from '../events/routes.js';
import { type App, errorResponses } from '../platform/http.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [] }];
const OrgParams = Type.Object({ org_id: Type.String({ minLength: 1, maxLength: 100 }) });

export function dashboardEventsRoutes(app: App, s: Services): void {
  /** Every member may read events; without pixel_id/project_id the whole organization is in scope. */
  async function scope(req: Parameters<typeof sessionAuth>[1], orgId: string): Promise<void> {
    const who = await sessionAuth(s, req);
    await organizationRole(s, orgId, who.user.id);
  }

  app.get(
    '/dashboard/api/orgs/:org_id/events',
    {
      schema: {
        tags,
        security,
        params: OrgParams,
        querystring: EventsQuery,
        response: { 200: EventsOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await scope(req, req.params.org_id);
      const p = req.query.pixel_id || req.query.project_id ? req.query : { ...req.query, organization_id: req.params.org_id };
      return listEvents(s, req.params.org_id, p, true);
    },
  );

  app.get(
    '/dashboard/api/orgs/:org_id/event_counts',
    {
      schema: {
        tags,
        security,
        params: OrgParams,
        querystring: CountsQuery,
        response: { 200: CountsOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await scope(req, req.params.org_id);
      const p = req.query.pixel_id || req.query.project_id ? req.query : { ...req.query, organization_id: req.params.org_id };
      return countEvents(s, req.params.org_id, p, true);
    },
  );

  app.get(
    '/dashboard/api/orgs/:org_id/pixels/:pixel_id/status',
    {
      schema: {
        tags,
        summary: 'Install check: when the first event from this pixel arrived (null until then)',
        security,
        params: Type.Object({ org_id: Type.String({ maxLength: 100 }), pixel_id: Type.String({ maxLength: 100 }) }),
      },
    },
    async (req) => {
      await scope(req, req.params.org_id);
      const pixel = await s.projects.getPixelIn([req.params.org_id], req.params.pixel_id);
      return { pixel_id: pixel.id, first_event_at: pixel.first_event_at === null ? null : formatIso(pixel.first_event_at) };
    },
  );
}
