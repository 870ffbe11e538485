// The operator's HTTP API ("your Delivr contact"): create organizations with a first-owner invite,
// list them, re-send an invite. Guarded by ADMIN_TOKEN and absent (404) when none is configured.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { adminAuth } from '../auth/guards.js';
import type { Invite, Organization } from '../catalog/store.js';
import { type App, errorResponses } from '../platform/http.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';

const tags = ['Operator'];
const security = [{ adminToken: [] }];
const OrgOut = Type.Object({ organization_id: Type.String(), name: Type.String(), status: Type.String(), created_at: Type.String() });
const InviteOut = Type.Object({ invite_id: Type.String(), email: Type.String(), role: Type.String(), expires_at: Type.String() });

const orgOut = (o: Organization) => ({ organization_id: o.id, name: o.name, status: o.status, created_at: formatIso(o.created_at) });
const inviteOut = (i: Invite) => ({ invite_id: i.id, email: i.email, role: i.role, expires_at: formatIso(i.expires_at) });

export function adminRoutes(app: App, s: Services): void {
  // The token is checked before the body is validated, so a caller without it learns nothing,
  // not even the fields (and a server without ADMIN_TOKEN answers 404 to everything here).
  const onRequest = async (req: FastifyRequest) => adminAuth(s, req);

  app.post(
    '/admin/v1/organizations',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Create an organization and email its first owner an invitation',
        security,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          owner_email: Type.String({ minLength: 3, maxLength: 320 }),
        }),
        response: { 201: Type.Object({ organization: OrgOut, invite: InviteOut }), ...errorResponses(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const { organization, invite } = await s.accounts.createOrganization({ name: req.body.name, ownerEmail: req.body.owner_email });
      return reply.status(201).send({ organization: orgOut(organization), invite: inviteOut(invite) });
    },
  );

  app.get(
    '/admin/v1/organizations',
    {
      onRequest,
      schema: {
        tags,
        summary: 'List organizations',
        security,
        response: { 200: Type.Object({ organizations: Type.Array(OrgOut), total: Type.Integer() }), ...errorResponses(401, 404) },
      },
    },
    async () => {
      const orgs = await s.store.listOrganizations();
      return { organizations: orgs.map(orgOut), total: orgs.length };
    },
  );

  app.post(
    '/admin/v1/organizations/:organization_id/invites/resend',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Re-send a pending invitation with a fresh link',
        security,
        params: Type.Object({ organization_id: Type.String({ maxLength: 100 }) }),
        body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 320 }) }),
        response: { 200: Type.Object({ invite: InviteOut }), ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const invite = await s.accounts.resendInvite({ organizationId: req.params.organization_id, email: req.body.email, actor: null });
      return { invite: inviteOut(invite) };
    },
  );
}
