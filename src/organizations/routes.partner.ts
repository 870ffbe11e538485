// Partner API organizations: the caller's organizations, and creating one (with a default project).
import { type App, errorResponses, headerValue } from '../platform/http.js';
import { formatSqlTime } from '../platform/time.js';
import type { Services } from '../services.js';
import { OrganizationBody, PartnerOrganizationCreated, PartnerOrganizations } from './schemas.js';

const tags = ['Partner API'];

export function organizationsPartnerRoutes(app: App, { auth, organizations }: Pick<Services, 'auth' | 'organizations'>): void {
  app.get(
    '/api/organization/get',
    {
      schema: {
        tags,
        summary: "The caller's organizations (platform JWT; app headers optional)",
        security: [{ bearerAuth: [] }],
        response: { 200: PartnerOrganizations, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const hasAppHeaders = Boolean(headerValue(req, 'x-delivr-client-id') || headerValue(req, 'x-delivr-client-secret'));
      const { user } = await auth.platform(req, { requireApp: hasAppHeaders });
      const orgs = await organizations.listForUser(user.id);
      return {
        response: {
          organizations: orgs.map((o) => ({
            organization_id: o.id,
            name: o.name,
            status: o.status,
            role: o.role,
            created_at: formatSqlTime(o.created_at),
          })),
        },
      };
    },
  );

  app.post(
    '/api/organization/create',
    {
      schema: {
        tags,
        summary: 'Create an organization with a default project (partners: owners of an organization, or open sign-up)',
        security: [{ bearerAuth: [], clientId: [], clientSecret: [] }],
        body: OrganizationBody,
        response: { 200: PartnerOrganizationCreated, ...errorResponses(400, 401, 403) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const { organization, project } = await organizations.createForPartner(user.id, req.body.name);
      return { response: { organization: { organization_id: organization.id, project_id: project.id } } };
    },
  );
}
