// Audiences in the dashboard (session): the same service as the data API, with the organization and
// project in the path. Every member may read audiences, their samples and downloads; creating,
// editing, refreshing, pausing, resuming and deleting need `projects.write` (owners and admins), as
// configuring a project does.
import { Type } from 'typebox';
import { type App, errorResponses, rawResponse } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { sendDownload } from './http.js';
import { AudienceBody, AudienceCreateBody, AudienceList, AudiencePatchBody, AudiencePreview, SampleOut } from './schemas.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const ProjectParams = Type.Object({ org_id: Id, project_id: Id });
const AudienceParams = Type.Object({ org_id: Id, project_id: Id, audience_id: Type.String({ minLength: 1, maxLength: 64 }) });
const base = '/orgs/:org_id/projects/:project_id/audiences';
const byId = `${base}/:audience_id`;

export function audiencesDashboardRoutes(app: App, { auth, audiences }: Pick<Services, 'auth' | 'audiences'>): void {
  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create an audience and queue its first run (201), or with mode=preview answer its size and store nothing (200)',
        security,
        params: ProjectParams,
        body: AudienceCreateBody,
        response: { 200: AudiencePreview, 201: AudienceBody, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      const out = await audiences.create(req.params.org_id, req.params.project_id, { ...req.body, project_id: req.params.project_id });
      return reply.status('audience' in out ? 201 : 200).send(out);
    },
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: "The project's audiences, newest first",
        security,
        params: ProjectParams,
        response: { 200: AudienceList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return audiences.list(req.params.org_id, req.params.project_id);
    },
  );

  app.get(
    byId,
    {
      schema: {
        tags,
        summary: 'One audience',
        security,
        params: AudienceParams,
        response: { 200: AudienceBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return audiences.get(req.params.org_id, req.params.audience_id, req.params.project_id);
    },
  );

  app.patch(
    byId,
    {
      schema: {
        tags,
        summary: 'Edit an audience (a new filter or window queues a run)',
        security,
        params: AudienceParams,
        body: AudiencePatchBody,
        response: { 200: AudienceBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      return audiences.patch(req.params.org_id, req.params.audience_id, req.params.project_id, req.body);
    },
  );

  app.delete(
    byId,
    {
      schema: {
        tags,
        summary: 'Delete an audience and its results',
        security,
        params: AudienceParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      await audiences.remove(req.params.org_id, req.params.audience_id, req.params.project_id);
      return reply.status(204).send(null);
    },
  );

  for (const method of ['refresh', 'pause', 'resume'] as const) {
    app.post(
      `${byId}/${method}`,
      {
        schema: {
          tags,
          summary: `${method[0]?.toUpperCase()}${method.slice(1)} an audience (the data API's 409s)`,
          security,
          params: AudienceParams,
          response: { 200: AudienceBody, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => {
        await auth.orgAccess(req, req.params.org_id, 'projects.write');
        return audiences[method](req.params.org_id, req.params.audience_id, req.params.project_id);
      },
    );
  }

  app.get(
    `${byId}/sample`,
    {
      schema: {
        tags,
        summary: 'The first contacts of the last completed run',
        security,
        params: AudienceParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) }),
        response: { 200: SampleOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return audiences.sample(req.params.org_id, req.params.audience_id, req.params.project_id, req.query.limit);
    },
  );

  app.get(
    `${byId}/download`,
    {
      schema: {
        tags,
        summary: 'Stream the last completed run as CSV (default) or NDJSON',
        security,
        params: AudienceParams,
        querystring: Type.Object({
          record_limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
          format: Type.Optional(Type.Union([Type.Literal('csv'), Type.Literal('ndjson')])),
        }),
        response: {
          200: rawResponse('CSV with a header row, or NDJSON: one person per line', 'text/csv', 'application/x-ndjson'),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const { audience, pages } = await audiences.download(
        req.params.org_id,
        req.params.audience_id,
        req.params.project_id,
        req.query.record_limit,
      );
      return sendDownload(reply, audience.id, pages, req.query.format);
    },
  );
}
