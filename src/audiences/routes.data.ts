// Audiences on the data API (spec section 5, decisions in 16): create (or preview), list, detail,
// edit, refresh, pause, resume, sample, download (also at /audiences/{id}/download, as Delivr's
// changelog writes it) and delete. Org key + secret (or the legacy credentials auth.data accepts);
// the project comes from X-Project-Id or ?project_id= on every call.
import { Type } from 'typebox';
import { type App, errorResponses, rawResponse } from '../platform/http.js';
import type { Services } from '../services.js';
import { projectOf, sendDownload } from './http.js';
import {
  AudienceBody,
  AudienceCreateBody,
  AudienceList,
  AudienceParams,
  AudiencePatchBody,
  AudiencePreview,
  DownloadQuery,
  ProjectQuery,
  SampleOut,
  SampleQuery,
} from './schemas.js';

const tags = ['Audiences'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];
const ProjectHeader = Type.Object({
  'x-project-id': Type.Optional(Type.String({ maxLength: 100, description: 'The project (or ?project_id=)' })),
});
const byId = `/api/v1/audiences/:audience_id`;

export function audiencesDataRoutes(app: App, { auth, audiences }: Pick<Services, 'auth' | 'audiences'>): void {
  app.post(
    '/api/v1/audiences',
    {
      schema: {
        tags,
        summary: 'Create an audience and queue its first run (201), or with mode=preview answer its size and store nothing (200)',
        security,
        headers: ProjectHeader,
        querystring: ProjectQuery,
        body: AudienceCreateBody,
        response: { 200: AudiencePreview, 201: AudienceBody, ...errorResponses(400, 401, 403, 404, 409, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const out = await audiences.create(who.organizationId, projectOf(req, req.query), req.body);
      return reply.status('audience' in out ? 201 : 200).send(out);
    },
  );

  app.get(
    '/api/v1/audiences',
    {
      schema: {
        tags,
        summary: "The project's audiences, newest first",
        security,
        headers: ProjectHeader,
        querystring: ProjectQuery,
        response: { 200: AudienceList, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return audiences.list(who.organizationId, projectOf(req, req.query));
    },
  );

  app.get(
    byId,
    {
      schema: {
        tags,
        summary: 'One audience: status, schedule, counts',
        security,
        headers: ProjectHeader,
        params: AudienceParams,
        querystring: ProjectQuery,
        response: { 200: AudienceBody, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return audiences.get(who.organizationId, req.params.audience_id, projectOf(req, req.query));
    },
  );

  app.patch(
    byId,
    {
      schema: {
        tags,
        summary: 'Edit name, description, filter, intent_window_days or refresh_schedule (a new filter or window queues a run)',
        security,
        headers: ProjectHeader,
        params: AudienceParams,
        querystring: ProjectQuery,
        body: AudiencePatchBody,
        response: { 200: AudienceBody, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return audiences.patch(who.organizationId, req.params.audience_id, projectOf(req, req.query), req.body);
    },
  );

  app.delete(
    byId,
    {
      schema: {
        tags,
        summary: 'Delete an audience and its results',
        security,
        headers: ProjectHeader,
        params: AudienceParams,
        querystring: ProjectQuery,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      await audiences.remove(who.organizationId, req.params.audience_id, projectOf(req, req.query));
      return reply.status(204).send(null);
    },
  );

  const actions = [
    ['refresh', 'Queue a run again: status Pending, task_id cleared (409 while Syncing)', 'refresh'],
    ['pause', 'Stop the schedule (409 if already paused); results stay downloadable', 'pause'],
    ['resume', 'Restore the schedule (409 if not paused; 409 with code org_inactive / project_inactive)', 'resume'],
  ] as const;
  for (const [path, summary, method] of actions) {
    app.post(
      `${byId}/${path}`,
      {
        schema: {
          tags,
          summary,
          security,
          headers: ProjectHeader,
          params: AudienceParams,
          querystring: ProjectQuery,
          response: { 200: AudienceBody, ...errorResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (req, reply) => {
        const who = await auth.data(req, reply);
        return audiences[method](who.organizationId, req.params.audience_id, projectOf(req, req.query));
      },
    );
  }

  app.get(
    `${byId}/sample`,
    {
      schema: {
        tags,
        summary: 'The first contacts of the last completed run, with intent_score, intent_frequency and the matched topics',
        security,
        headers: ProjectHeader,
        params: AudienceParams,
        querystring: SampleQuery,
        response: { 200: SampleOut, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return audiences.sample(who.organizationId, req.params.audience_id, projectOf(req, req.query), req.query.limit);
    },
  );

  for (const path of [`${byId}/download`, '/audiences/:audience_id/download']) {
    app.get(
      path,
      {
        schema: {
          tags,
          summary: 'Stream the last completed run as CSV (default) or NDJSON, at most record_limit rows',
          security,
          headers: ProjectHeader,
          params: AudienceParams,
          querystring: DownloadQuery,
          response: {
            200: rawResponse('CSV with a header row, or NDJSON: one person per line', 'text/csv', 'application/x-ndjson'),
            ...errorResponses(400, 401, 403, 404, 429),
          },
        },
      },
      async (req, reply) => {
        const who = await auth.data(req, reply);
        const { audience, pages } = await audiences.download(
          who.organizationId,
          req.params.audience_id,
          projectOf(req, req.query),
          req.query.record_limit,
        );
        return sendDownload(reply, audience.id, pages, req.query.format);
      },
    );
  }
}
