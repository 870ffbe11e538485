// Partner API projects: create in the organization named by the `organization_id` header, list them
// (one organization's, or all of the caller's without the header), change name and retention, and
// archive or unarchive. The project routes that name a project in their body check it against the
// caller's memberships like every Partner route: another organization's project is "not found".
import type { User } from '../accounts/store.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import {
  PartnerProjectCreateBody,
  PartnerProjectCreated,
  PartnerProjectOut,
  PartnerProjectRef,
  PartnerProjects,
  PartnerProjectUpdateBody,
} from './schemas.js';
import type { Project } from './store.js';
import { projectView } from './views.js';

const tags = ['Partner API'];
const security = [{ bearerAuth: [], clientId: [], clientSecret: [] }];

export function projectsPartnerRoutes(
  app: App,
  { auth, members, organizations, projects }: Pick<Services, 'auth' | 'members' | 'organizations' | 'projects'>,
): void {
  /** The project, if the caller belongs to its organization and may change projects there. */
  async function writableProject(user: User, projectId: string): Promise<Project> {
    const mine = (await organizations.listForUser(user.id)).map((o) => o.id);
    const project = await projects.getIn(mine, projectId);
    await members.require(project.organization_id, user.id, 'projects.write');
    return project;
  }

  app.post(
    '/api/project/create',
    {
      schema: {
        tags,
        summary: 'Create a project in the organization named by the organization_id header (optional retention_days)',
        security,
        body: PartnerProjectCreateBody,
        response: { 200: PartnerProjectCreated, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const organizationId = headerValue(req, 'organization_id');
      await members.require(organizationId, user.id, 'projects.write');
      const { name, time_zone, retention_days } = req.body.project;
      const project = await projects.create(organizationId as string, name, { timeZone: time_zone, retentionDays: retention_days ?? null });
      return { response: { project_id: project.id } };
    },
  );

  app.get(
    '/api/project/get',
    {
      schema: {
        tags,
        summary: 'Projects of the organization in the organization_id header (all of yours without it)',
        security,
        response: { 200: PartnerProjects, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const organizationId = headerValue(req, 'organization_id');
      let orgIds: string[];
      if (organizationId) {
        await members.role(organizationId, user.id);
        orgIds = [organizationId];
      } else {
        orgIds = (await organizations.listForUser(user.id)).map((o) => o.id);
      }
      const all = (await Promise.all(orgIds.map((id) => projects.list(id)))).flat();
      return { response: { projects: all.map(projectView) } };
    },
  );

  app.post(
    '/api/project/update',
    {
      schema: {
        tags,
        summary:
          "Change a project's name, time_zone or retention_days (null keeps events forever); body {project_id, name?, time_zone?, retention_days?}",
        security,
        body: PartnerProjectUpdateBody,
        response: { 200: PartnerProjectOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const project = await writableProject(user, req.body.project_id);
      const { name, time_zone, retention_days } = req.body;
      const updated = await projects.update(project.organization_id, project.id, {
        name,
        timeZone: time_zone,
        retentionDays: retention_days,
      });
      return { response: { project: projectView(updated) } };
    },
  );

  const statusChanges = [
    ['archive', 'Archive a project: data kept, its pixels stop collecting (scripts and ingest answer 404); body {project_id}'],
    ['unarchive', 'Unarchive a project: its pixels collect again; body {project_id}'],
  ] as const;
  for (const [action, summary] of statusChanges) {
    app.post(
      `/api/project/${action}`,
      {
        schema: {
          tags,
          summary,
          security,
          body: PartnerProjectRef,
          response: { 200: PartnerProjectOut, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { user } = await auth.platform(req, { requireApp: true });
        const project = await writableProject(user, req.body.project_id);
        return { response: { project: projectView(await projects[action](project.organization_id, project.id)) } };
      },
    );
  }
}
