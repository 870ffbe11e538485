// Operator API: load the demo dataset into an organization (what `delivr demo` calls while the server
// holds the embedded analytics store).
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { DemoBody, DemoLoadedOut } from './schemas.js';

export function demoAdminRoutes(app: App, { demo }: Pick<Services, 'demo'>): void {
  app.post(
    '/organizations/:organization_id/demo',
    {
      schema: {
        tags: ['Operator'],
        summary: 'Load the demo dataset into a new project of the organization',
        security: [{ adminToken: [] }],
        params: Type.Object({ organization_id: Id }),
        body: DemoBody,
        response: { 201: DemoLoadedOut, ...errorResponses(400, 401, 404, 409) },
      },
    },
    async (req, reply) => reply.status(201).send(await demo.load(req.params.organization_id, req.body)),
  );
}
