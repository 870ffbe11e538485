// events_schema (v1 and v2): the stored event columns with Arrow type names, straight from
// EVENT_FIELDS, the same list the analytics tables are created from.
import { Type } from 'typebox';
import { EVENT_FIELDS } from '../analytics/types.js';
import { dataAuth } from '../auth/guards.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';

const FieldsOut = Type.Object({
  fields: Type.Array(Type.Object({ name: Type.String(), data_type: Type.String(), nullable: Type.Boolean() })),
});

export const SOURCES = ['pixel', 'dsp', 'delivrdsp'] as const;

export function eventsSchemaRoutes(app: App, s: Services): void {
  for (const path of ['/api/v1/events_schema', '/api/v2/events_schema']) {
    app.get(
      path,
      {
        schema: {
          tags: ['Events'],
          summary: 'Fields an events query can return, with Arrow type names',
          security: [{ apiKey: [], apiSecret: [] }],
          querystring: Type.Object({ source: Type.Optional(Type.String({ maxLength: 50 })) }),
          response: { 200: FieldsOut, ...errorResponses(400, 401, 429) },
        },
      },
      async (req, reply) => {
        await dataAuth(s, req, reply);
        const source = req.query.source ?? 'pixel';
        if (source !== 'pixel') {
          throw fail(
            'invalid_parameters',
            source === 'dsp' || source === 'delivrdsp' ? 'source=dsp is not available on this server' : 'source must be pixel or dsp',
          );
        }
        return { fields: EVENT_FIELDS.map((f) => ({ name: f.name, data_type: f.data_type, nullable: f.nullable })) };
      },
    );
  }
}
