// Identity import in the dashboard (session): the import page uploads a file, lists past imports and
// follows one's progress. Uploading needs `projects.write` (owners and admins: importing people is
// writing the organization's data, like configuring its projects); reading needs `org.read`, so
// every member sees what was imported and how it went.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { IMPORT_CONTENT_TYPES, receiveUpload, streamingImportScope } from './http.js';
import { ImportAccepted, ImportBody, ImportList, ImportListQuery, ImportOut, OrgImportParams } from './schemas.js';
import { importView } from './service.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const OrgParams = Type.Object({ org_id: Id });

export function identityImportDashboardRoutes(app: App, { auth, identityImports }: Pick<Services, 'auth' | 'identityImports'>): void {
  streamingImportScope(app, (scope) => {
    scope.post(
      '/orgs/:org_id/identities/import',
      {
        schema: {
          tags,
          summary: 'Import people (CSV or NDJSON, streamed): 202 once the file is received, then processed in the background',
          security,
          params: OrgParams,
          consumes: IMPORT_CONTENT_TYPES,
          body: ImportBody,
          response: { 202: ImportAccepted, ...errorResponses(400, 401, 403, 404, 413, 415) },
        },
      },
      async (req, reply) => {
        const who = await auth.orgAccess(req, req.params.org_id, 'projects.write');
        const accepted = await receiveUpload(identityImports, req, reply, {
          organizationId: req.params.org_id,
          createdBy: `user:${who.user.id}`,
        });
        return reply.status(202).send(accepted);
      },
    );
  });

  app.get(
    '/orgs/:org_id/identities/imports',
    {
      schema: {
        tags,
        summary: "The organization's identity imports, newest first",
        security,
        params: OrgParams,
        querystring: ImportListQuery,
        response: { 200: ImportList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return { imports: (await identityImports.list(req.params.org_id, req.query.limit ?? 50)).map(importView) };
    },
  );

  app.get(
    '/orgs/:org_id/identities/imports/:import_id',
    {
      schema: {
        tags,
        summary: "One import's progress: rows read, imported and rejected, the first 100 errors with their line",
        security,
        params: OrgImportParams,
        response: { 200: ImportOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return importView(await identityImports.get(req.params.org_id, req.params.import_id));
    },
  );
}
