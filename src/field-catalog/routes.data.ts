// GET /api/v1/field-catalog: the fields filter rules can name (key + secret, or a user JWT).
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { FieldCatalogOut, FieldCatalogQuery } from './schemas.js';
import { listFieldsFor } from './service.js';

export function fieldCatalogDataRoutes(app: App, { auth }: Pick<Services, 'auth'>): void {
  app.get(
    '/api/v1/field-catalog',
    {
      schema: {
        tags: ['Identity'],
        summary: 'Every field a filter or audience rule can name, with its category, type, operators and options',
        security: [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }],
        querystring: FieldCatalogQuery,
        response: { 200: FieldCatalogOut, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      return listFieldsFor(req.query);
    },
  );
}
