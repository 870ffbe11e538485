// Operator API ("your Delivr contact"): create organizations with a first-owner invitation, list them.

import { adminInviteView } from '../members/views.js';
import { type App, errorResponses } from '../platform/http.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';
import { AdminCreateBody, AdminCreated, AdminOrganizations } from './schemas.js';
import type { Organization } from './store.js';

const tags = ['Operator'];
const security = [{ adminToken: [] }];
const organizationView = (o: Organization) => ({
  organization_id: o.id,
  name: o.name,
  status: o.status,
  created_at: formatIso(o.created_at),
});

export function organizationsAdminRoutes(app: App, { organizations }: Pick<Services, 'organizations'>): void {
  app.post(
    '/organizations',
    {
      schema: {
        tags,
        summary: 'Create an organization and email its first owner an invitation',
        security,
        body: AdminCreateBody,
        response: { 201: AdminCreated, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (req, reply) => {
      const { organization, invite } = await organizations.createWithOwnerInvite({ name: req.body.name, ownerEmail: req.body.owner_email });
      return reply.status(201).send({ organization: organizationView(organization), invite: adminInviteView(invite) });
    },
  );

  app.get(
    '/organizations',
    { schema: { tags, summary: 'List organizations', security, response: { 200: AdminOrganizations, ...errorResponses(401, 404) } } },
    async () => {
      const orgs = await organizations.list();
      return { organizations: orgs.map(organizationView), total: orgs.length };
    },
  );
}
