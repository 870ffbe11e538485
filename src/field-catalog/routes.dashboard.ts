// The field catalog for the dashboard (the audience builder's field rules), behind the session:
// the same list as GET /api/v1/field-catalog. Every member may read it.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { FieldCatalogOut, FieldCatalogQuery } from './schemas.js';
import { listFieldsFor } from './service.js';

export function fieldCatalogDashboardRoutes(app: App, { auth }: Pick<Services, 'auth'>): void {
  app.get(
    '/orgs/:org_id/field-catalog',
    {
      schema: {
        tags: ['Dashboard session API'],
        summary: 'Every field an audience rule can name, with its category, type, operators and options',
        security: [{ sessionCookie: [] }],
        params: Type.Object({ org_id: Id }),
        querystring: FieldCatalogQuery,
        response: { 200: FieldCatalogOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return listFieldsFor(req.query);
    },
  );
}
