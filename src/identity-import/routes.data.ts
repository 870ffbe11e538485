// Identity import on the data API (key + secret): upload a CSV or NDJSON file of people (streamed,
// answered 202 once received, processed in the background) and read an import's progress.
import { fail } from '../platform/errors.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import { IMPORT_CONTENT_TYPES, receiveUpload, streamingImportScope } from './http.js';
import { ImportAccepted, ImportBody, ImportOut, ImportParams } from './schemas.js';
import { importView } from './service.js';

const tags = ['Identity'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];

export function identityImportDataRoutes(app: App, { auth, identityImports }: Pick<Services, 'auth' | 'identityImports'>): void {
  /**
   * A key belongs to one organization; a caller that also names one (x-organization-id, as the CLI
   * does) must name that one, so a key of the wrong organization never imports into it unnoticed.
   */
  const organizationOf = async (...args: Parameters<typeof auth.data>) => {
    const who = await auth.data(...args);
    const named = headerValue(args[0], 'x-organization-id');
    if (named && named !== who.organizationId) throw fail('organization_not_found');
    return who;
  };

  streamingImportScope(app, (scope) => {
    scope.post(
      '/api/v1/identities/import',
      {
        schema: {
          tags,
          summary: 'Import people (CSV or NDJSON, streamed): 202 once the file is received, then processed in the background',
          security,
          consumes: IMPORT_CONTENT_TYPES,
          body: ImportBody,
          response: { 202: ImportAccepted, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
        },
      },
      async (req, reply) => {
        const who = await organizationOf(req, reply);
        const createdBy = who.kind === 'api_key' ? `api_key:${who.keyId}` : `user:${who.userId}`;
        const accepted = await receiveUpload(identityImports, req, reply, { organizationId: who.organizationId, createdBy });
        return reply.status(202).send(accepted);
      },
    );
  });

  app.get(
    '/api/v1/identities/imports/:import_id',
    {
      schema: {
        tags,
        summary: "An import's status: rows read, imported and rejected, the first 100 errors with their line",
        security,
        params: ImportParams,
        response: { 200: ImportOut, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await organizationOf(req, reply);
      return importView(await identityImports.get(who.organizationId, req.params.import_id));
    },
  );
}
