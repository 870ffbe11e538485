// Dashboard: "Load demo data" for an organization (owners and admins), so a new user can try people,
// intent and audiences before their own pixel has collected anything.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { DemoBody, DemoLoadedOut } from './schemas.js';

export function demoDashboardRoutes(app: App, { auth, demo }: Pick<Services, 'auth' | 'demo'>): void {
  app.post(
    '/orgs/:org_id/demo',
    {
      schema: {
        tags: ['Dashboard session API'],
        summary: 'Load the demo dataset into a new project of the organization',
        security: [{ sessionCookie: [], csrfToken: [] }],
        params: Type.Object({ org_id: Id }),
        body: DemoBody,
        response: { 201: DemoLoadedOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      return reply.status(201).send(await demo.load(req.params.org_id, req.body));
    },
  );
}
