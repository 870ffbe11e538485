// Dashboard members and invitations: list, invite, re-send, cancel, change a role, remove or leave;
// and the public side of an invitation link (preview, accept), where the emailed token is the
// credential, sent in the body, never in a URL we log.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id, Ok } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { signIn } from '../sessions/cookie.js';
import {
  InviteAcceptBody,
  InviteAcceptOut,
  InviteBody,
  InviteEnvelope,
  InvitePreviewBody,
  InvitePreviewOut,
  MembersOut,
  RoleBody,
} from './schemas.js';
import { inviteView, memberView } from './views.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const OrgParams = Type.Object({ org_id: Id });
const InviteParams = Type.Object({ org_id: Id, invite_id: Id });
const MemberParams = Type.Object({ org_id: Id, user_id: Id });

export function membersDashboardRoutes(app: App, deps: Pick<Services, 'auth' | 'members' | 'sessions' | 'organizations' | 'config'>): void {
  const { auth, members } = deps;

  app.post(
    '/invites/preview',
    {
      schema: {
        tags,
        summary: 'What an invitation link is for',
        body: InvitePreviewBody,
        response: { 200: InvitePreviewOut, ...errorResponses(400, 404) },
      },
    },
    async (req) => {
      const { invite, organization, existingUser } = await members.previewInvite(req.body.token);
      return {
        organization_id: organization.id,
        organization_name: organization.name,
        email: invite.email,
        role: invite.role,
        existing_user: existingUser,
      };
    },
  );

  app.post(
    '/invites/accept',
    {
      schema: {
        tags,
        summary: 'Accept an invitation: set name and password (or confirm your password) and sign in',
        body: InviteAcceptBody,
        response: { 200: InviteAcceptOut, ...errorResponses(400, 401, 404, 429) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { user, organization } = await members.acceptInvite({
        token: b.token,
        firstName: b.first_name,
        lastName: b.last_name,
        password: b.password,
        ip: req.ip,
      });
      return { ...(await signIn(deps, reply, user)), organization_id: organization.id };
    },
  );

  app.get(
    '/orgs/:org_id/members',
    {
      schema: {
        tags,
        summary: 'Members, your role, and the pending invitations (for those who may invite)',
        security,
        params: OrgParams,
        response: { 200: MembersOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const who = await auth.orgAccess(req, req.params.org_id, 'org.read');
      const list = await members.list(req.params.org_id, who.role);
      return { your_role: who.role, members: list.members.map(memberView), invites: list.invites.map(inviteView) };
    },
  );

  app.post(
    '/orgs/:org_id/invites',
    {
      schema: {
        tags,
        summary: 'Invite someone by email',
        security,
        params: OrgParams,
        body: InviteBody,
        response: { 201: InviteEnvelope, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (req, reply) => {
      const who = await auth.orgAccess(req, req.params.org_id, 'members.invite');
      const invite = await members.invite({
        organizationId: req.params.org_id,
        actor: who.user,
        actorRole: who.role,
        email: req.body.email,
        role: req.body.role,
      });
      return reply.status(201).send({ invite: inviteView(invite) });
    },
  );

  app.post(
    '/orgs/:org_id/invites/:invite_id/resend',
    {
      schema: {
        tags,
        summary: 'Re-send an invitation with a fresh link',
        security,
        params: InviteParams,
        response: { 200: InviteEnvelope, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (req) => {
      const who = await auth.orgAccess(req, req.params.org_id, 'members.invite');
      const invite = await members.resendInvite({ organizationId: req.params.org_id, inviteId: req.params.invite_id, actor: who.user });
      return { invite: inviteView(invite) };
    },
  );

  app.delete(
    '/orgs/:org_id/invites/:invite_id',
    {
      schema: {
        tags,
        summary: 'Cancel an invitation',
        security,
        params: InviteParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'members.invite');
      await members.cancelInvite(req.params.org_id, req.params.invite_id);
      return { ok: true };
    },
  );

  app.patch(
    '/orgs/:org_id/members/:user_id',
    {
      schema: {
        tags,
        summary: "Change a member's role",
        security,
        params: MemberParams,
        body: RoleBody,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const who = await auth.orgAccess(req, req.params.org_id, 'members.manage');
      await members.changeRole({ organizationId: req.params.org_id, actorRole: who.role, userId: req.params.user_id, role: req.body.role });
      return { ok: true };
    },
  );

  app.delete(
    '/orgs/:org_id/members/:user_id',
    {
      schema: {
        tags,
        summary: 'Remove a member (owners), or leave (yourself)',
        security,
        params: MemberParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const who = await auth.orgAccess(req, req.params.org_id, 'org.read');
      await members.removeMember({
        organizationId: req.params.org_id,
        actorId: who.user.id,
        actorRole: who.role,
        userId: req.params.user_id,
      });
      return { ok: true };
    },
  );
}
