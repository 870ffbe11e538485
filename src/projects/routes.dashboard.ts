// Dashboard projects: list, create, change (name, time zone, retention) and archive or unarchive in
// the organization of the path.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { ProjectBody, ProjectEnvelope, ProjectList, ProjectUpdateBody } from './schemas.js';
import { projectView } from './views.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const OrgParams = Type.Object({ org_id: Id });
const ProjectParams = Type.Object({ org_id: Id, project_id: Id });

export function projectsDashboardRoutes(app: App, { auth, projects }: Pick<Services, 'auth' | 'projects'>): void {
  app.get(
    '/orgs/:org_id/projects',
    {
      schema: {
        tags,
        summary: 'Projects of the organization',
        security,
        params: OrgParams,
        response: { 200: ProjectList, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return { projects: (await projects.list(req.params.org_id)).map(projectView) };
    },
  );

  app.post(
    '/orgs/:org_id/projects',
    {
      schema: {
        tags,
        summary: 'Create a project, optionally with a retention period',
        security,
        params: OrgParams,
        body: ProjectBody,
        response: { 201: ProjectEnvelope, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      const { name, time_zone, retention_days } = req.body;
      const project = await projects.create(req.params.org_id, name, { timeZone: time_zone, retentionDays: retention_days ?? null });
      return reply.status(201).send({ project: projectView(project) });
    },
  );

  app.patch(
    '/orgs/:org_id/projects/:project_id',
    {
      schema: {
        tags,
        summary: 'Rename a project, set its time zone or change its retention (retention_days: null keeps events forever)',
        security,
        params: ProjectParams,
        body: ProjectUpdateBody,
        response: { 200: ProjectEnvelope, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      const { name, time_zone, retention_days } = req.body;
      return {
        project: projectView(
          await projects.update(req.params.org_id, req.params.project_id, {
            name,
            timeZone: time_zone,
            retentionDays: retention_days,
          }),
        ),
      };
    },
  );

  const statusChanges = [
    ['archive', 'Archive a project: its data is kept, its pixels stop collecting (scripts and ingest answer 404)'],
    ['unarchive', 'Unarchive a project: its pixels collect again'],
  ] as const;
  for (const [action, summary] of statusChanges) {
    app.post(
      `/orgs/:org_id/projects/:project_id/${action}`,
      {
        schema: {
          tags,
          summary,
          security,
          params: ProjectParams,
          response: { 200: ProjectEnvelope, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        await auth.orgAccess(req, req.params.org_id, 'projects.write');
        return { project: projectView(await projects[action](req.params.org_id, req.params.project_id)) };
      },
    );
  }
}
