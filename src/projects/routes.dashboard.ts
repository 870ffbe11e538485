// Dashboard projects: list, create, rename and set the time zone in the organization of the path.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { ProjectBody, ProjectEnvelope, ProjectList, ProjectUpdateBody } from './schemas.js';
import { projectView } from './views.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const OrgParams = Type.Object({ org_id: Id });

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
        summary: 'Create a project',
        security,
        params: OrgParams,
        body: ProjectBody,
        response: { 201: ProjectEnvelope, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      return reply.status(201).send({ project: projectView(await projects.create(req.params.org_id, req.body.name, req.body.time_zone)) });
    },
  );

  app.patch(
    '/orgs/:org_id/projects/:project_id',
    {
      schema: {
        tags,
        summary: 'Rename a project or set its time zone',
        security,
        params: Type.Object({ org_id: Id, project_id: Id }),
        body: ProjectUpdateBody,
        response: { 200: ProjectEnvelope, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'projects.write');
      return { project: projectView(await projects.update(req.params.org_id, req.params.project_id, req.body)) };
    },
  );
}
