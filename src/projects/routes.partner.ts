// Partner API projects: create in the organization named by the `organization_id` header, and list
// them (one organization's, or all of the caller's without the header).
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import { PartnerProjectCreateBody, PartnerProjectCreated, PartnerProjects } from './schemas.js';
import { projectView } from './views.js';

const tags = ['Partner API'];
const security = [{ bearerAuth: [], clientId: [], clientSecret: [] }];

export function projectsPartnerRoutes(
  app: App,
  { auth, members, organizations, projects }: Pick<Services, 'auth' | 'members' | 'organizations' | 'projects'>,
): void {
  app.post(
    '/api/project/create',
    {
      schema: {
        tags,
        summary: 'Create a project in the organization named by the organization_id header',
        security,
        body: PartnerProjectCreateBody,
        response: { 200: PartnerProjectCreated, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const organizationId = headerValue(req, 'organization_id');
      await members.require(organizationId, user.id, 'projects.write');
      const project = await projects.create(organizationId as string, req.body.project.name, req.body.project.time_zone);
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
}
