// The dashboard's session API (/dashboard/api): everything the web app does, behind an httpOnly
// SameSite cookie session with a CSRF token on unsafe methods. Credential creation lives only here
// (the seeds: "Credential generation is dashboard-only"); secrets appear once, in the create response.
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { can, type Permission, ROLES } from '../accounts/permissions.js';
import { csrfTokenFor, organizationRole, SESSION_COOKIE, type SessionPrincipal, sessionAuth } from '../auth/guards.js';
import type { ApiKey, Invite, App as PartnerApp, Role, User } from '../catalog/store.js';
import { displayPrefix } from '../credentials/service.js';
import { pixelOut, projectOut } from '../partner/routes.js';
import { trackerCatalog } from '../pixels/render.js';
import { PixelSettingsFields } from '../pixels/trackers.js';
import { hashToken, randomToken } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses } from '../platform/http.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';

const P = '/dashboard/api';
const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const Id = Type.String({ minLength: 1, maxLength: 100 });
const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
const Ok = Type.Object({ ok: Type.Boolean() });

const userOut = (u: User) => ({ user_id: u.id, email: u.email, first_name: u.first_name, last_name: u.last_name });
const keyOut = (k: ApiKey) => ({
  key_id: k.id,
  name: k.name,
  key_prefix: displayPrefix(k),
  status: k.status,
  secret_required: k.secret_required === 1,
  created_at: formatIso(k.created_at),
  last_used_at: k.last_used_at === null ? null : formatIso(k.last_used_at),
  revoked_at: k.revoked_at === null ? null : formatIso(k.revoked_at),
});
const appOut = (a: PartnerApp) => ({
  app_id: a.id,
  name: a.name,
  client_id: a.client_id,
  status: a.status,
  created_at: formatIso(a.created_at),
});
const inviteOut = (i: Invite) => ({
  invite_id: i.id,
  email: i.email,
  role: i.role,
  created_at: formatIso(i.created_at),
  expires_at: formatIso(i.expires_at),
});

export function dashboardRoutes(app: App, s: Services): void {
  async function sessionBody(user: User, csrfToken: string) {
    const orgs = await s.store.listOrganizationsForUser(user.id);
    return {
      user: userOut(user),
      organizations: orgs.map((o) => ({ organization_id: o.id, name: o.name, role: o.role })),
      csrf_token: csrfToken,
    };
  }

  async function startSession(reply: FastifyReply, user: User) {
    const token = randomToken(32);
    const now = s.now();
    await s.store.createSession({ userId: user.id, tokenHash: hashToken(token), now, expiresAt: now + s.config.sessionTtlSeconds * 1000 });
    reply.setCookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: s.config.secureCookies,
      path: '/',
      maxAge: s.config.sessionTtlSeconds,
    });
    return sessionBody(user, csrfTokenFor(s.config.jwtSecret, token));
  }

  /** Session + role in the organization of the path, and the permission the handler needs. */
  async function orgAccess(
    req: Parameters<typeof sessionAuth>[1],
    orgId: string,
    permission: Permission,
  ): Promise<SessionPrincipal & { role: Role }> {
    const who = await sessionAuth(s, req);
    const role = await organizationRole(s, orgId, who.user.id);
    if (!can(role, permission)) throw fail('forbidden');
    return { ...who, role };
  }

  // Session

  app.post(
    `${P}/session`,
    {
      schema: {
        tags,
        summary: 'Sign in (sets the session cookie)',
        body: Type.Object({
          email: Type.String({ minLength: 1, maxLength: 320 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        ...errorResponses(400, 401, 404, 429),
      },
    },
    async (req, reply) => {
      const { user } = await s.accounts.login({ email: req.body.email, password: req.body.password, ip: req.ip });
      return startSession(reply, user);
    },
  );

  app.get(`${P}/session`, { schema: { tags, summary: 'The signed-in user, organizations and CSRF token', security } }, async (req) => {
    const who = await sessionAuth(s, req);
    return sessionBody(who.user, who.csrfToken);
  });

  app.delete(`${P}/session`, { schema: { tags, summary: 'Sign out', security } }, async (req, reply) => {
    const who = await sessionAuth(s, req);
    await s.store.revokeSession(who.sessionId, s.now());
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get(`${P}/signup`, { schema: { tags, summary: 'Whether self-service sign-up is open' } }, async () => ({
    open: s.config.signupMode === 'open' || (await s.store.countOrganizations()) === 0,
  }));

  app.post(
    `${P}/signup`,
    {
      schema: {
        tags,
        summary: 'Sign up (open sign-up, or the first user of a fresh install)',
        body: Type.Object({
          email: Type.String({ minLength: 1, maxLength: 320 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
          first_name: Type.String({ minLength: 1, maxLength: 200 }),
          last_name: Type.String({ minLength: 1, maxLength: 200 }),
          organization_name: Type.String({ minLength: 1, maxLength: 200 }),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { user } = await s.accounts.register({
        email: b.email,
        password: b.password,
        firstName: b.first_name,
        lastName: b.last_name,
        organizationName: b.organization_name,
      });
      return reply.status(201).send(await startSession(reply, user));
    },
  );

  // Invitations (public side: the emailed token is the credential, sent in the body, never in a URL we log)

  app.post(
    `${P}/invites/preview`,
    {
      schema: {
        tags,
        summary: 'What an invitation link is for',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }),
      },
    },
    async (req) => {
      const { invite, organization, existingUser } = await s.accounts.previewInvite(req.body.token);
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
    `${P}/invites/accept`,
    {
      schema: {
        tags,
        summary: 'Accept an invitation: set name and password (or confirm your password) and sign in',
        body: Type.Object({
          token: Type.String({ minLength: 1, maxLength: 200 }),
          first_name: Type.Optional(Type.String({ maxLength: 200 })),
          last_name: Type.Optional(Type.String({ maxLength: 200 })),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { user, organization } = await s.accounts.acceptInvite({
        token: b.token,
        firstName: b.first_name,
        lastName: b.last_name,
        password: b.password,
      });
      return { ...(await startSession(reply, user)), organization_id: organization.id };
    },
  );

  app.post(
    `${P}/password/forgot`,
    {
      schema: { tags, summary: 'Email a password reset link', body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }) }) },
    },
    async (req, reply) => {
      await s.accounts.requestPasswordReset(req.body.email);
      return reply.status(202).send({ message: 'If this email has an account, a reset link is on its way.' });
    },
  );

  app.post(
    `${P}/password/reset`,
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset link token (signs out every session)',
        body: Type.Object({
          token: Type.String({ minLength: 1, maxLength: 200 }),
          password: Type.String({ minLength: 1, maxLength: 256 }),
        }),
      },
    },
    async (req) => {
      await s.accounts.resetPassword(req.body.token, req.body.password);
      return { ok: true };
    },
  );

  // Members and invitations

  const OrgParams = Type.Object({ org_id: Id });

  app.get(`${P}/orgs/:org_id/members`, { schema: { tags, security, params: OrgParams } }, async (req) => {
    const who = await orgAccess(req, req.params.org_id, 'org.read');
    const members = await s.store.listMembers(req.params.org_id);
    const invites = can(who.role, 'members.invite') ? await s.store.listPendingInvites(req.params.org_id) : [];
    return {
      your_role: who.role,
      members: members.map((m) => ({
        user_id: m.user_id,
        email: m.email,
        first_name: m.first_name,
        last_name: m.last_name,
        role: m.role,
        joined_at: formatIso(m.created_at),
      })),
      invites: invites.map(inviteOut),
    };
  });

  app.post(
    `${P}/orgs/:org_id/invites`,
    {
      schema: {
        tags,
        security,
        params: OrgParams,
        body: Type.Object({ email: Type.String({ minLength: 3, maxLength: 320 }), role: RoleSchema }),
      },
    },
    async (req, reply) => {
      const who = await orgAccess(req, req.params.org_id, 'members.invite');
      const invite = await s.accounts.invite({
        organizationId: req.params.org_id,
        actor: who.user,
        actorRole: who.role,
        email: req.body.email,
        role: req.body.role,
      });
      return reply.status(201).send({ invite: inviteOut(invite) });
    },
  );

  const InviteParams = Type.Object({ org_id: Id, invite_id: Id });

  app.post(`${P}/orgs/:org_id/invites/:invite_id/resend`, { schema: { tags, security, params: InviteParams } }, async (req) => {
    const who = await orgAccess(req, req.params.org_id, 'members.invite');
    const invite = await s.accounts.resendInvite({ organizationId: req.params.org_id, inviteId: req.params.invite_id, actor: who.user });
    return { invite: inviteOut(invite) };
  });

  app.delete(
    `${P}/orgs/:org_id/invites/:invite_id`,
    { schema: { tags, security, params: InviteParams, response: { 200: Ok } } },
    async (req) => {
      await orgAccess(req, req.params.org_id, 'members.invite');
      await s.accounts.cancelInvite(req.params.org_id, req.params.invite_id);
      return { ok: true };
    },
  );

  const MemberParams = Type.Object({ org_id: Id, user_id: Id });

  app.patch(
    `${P}/orgs/:org_id/members/:user_id`,
    { schema: { tags, security, params: MemberParams, body: Type.Object({ role: RoleSchema }), response: { 200: Ok } } },
    async (req) => {
      const who = await orgAccess(req, req.params.org_id, 'members.manage');
      await s.accounts.changeRole({
        organizationId: req.params.org_id,
        actorRole: who.role,
        userId: req.params.user_id,
        role: req.body.role,
      });
      return { ok: true };
    },
  );

  app.delete(
    `${P}/orgs/:org_id/members/:user_id`,
    { schema: { tags, security, params: MemberParams, response: { 200: Ok } } },
    async (req) => {
      const who = await orgAccess(req, req.params.org_id, 'org.read');
      await s.accounts.removeMember({
        organizationId: req.params.org_id,
        actorId: who.user.id,
        actorRole: who.role,
        userId: req.params.user_id,
      });
      return { ok: true };
    },
  );

  // Organization API keys

  app.get(`${P}/orgs/:org_id/api-keys`, { schema: { tags, security, params: OrgParams } }, async (req) => {
    await orgAccess(req, req.params.org_id, 'keys.manage');
    await s.accessLog.flush();
    const keys = await s.store.listApiKeys(req.params.org_id);
    return { keys: keys.filter((k) => k.client_id === null).map(keyOut) };
  });

  app.post(
    `${P}/orgs/:org_id/api-keys`,
    { schema: { tags, security, params: OrgParams, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } },
    async (req, reply) => {
      const who = await orgAccess(req, req.params.org_id, 'keys.manage');
      const name = req.body.name.trim();
      if (!name) throw fail('invalid_parameters', 'name must not be empty');
      const created = await s.credentials.createKey({ organizationId: req.params.org_id, name, createdBy: who.user.id });
      return reply.status(201).send({ key: keyOut(created.key), api_key: created.apiKey, api_secret: created.apiSecret });
    },
  );

  const KeyParams = Type.Object({ org_id: Id, key_id: Id });

  app.post(`${P}/orgs/:org_id/api-keys/:key_id/revoke`, { schema: { tags, security, params: KeyParams } }, async (req) => {
    await orgAccess(req, req.params.org_id, 'keys.manage');
    await s.credentials.revokeKey(req.params.org_id, req.params.key_id);
    const key = await s.store.getApiKey(req.params.org_id, req.params.key_id);
    if (!key) throw fail('key_not_found');
    return { key: keyOut(key) };
  });

  app.post(`${P}/orgs/:org_id/api-keys/:key_id/rotate`, { schema: { tags, security, params: KeyParams } }, async (req) => {
    await orgAccess(req, req.params.org_id, 'keys.manage');
    const { key, apiSecret } = await s.credentials.rotateSecret(req.params.org_id, req.params.key_id);
    return { key: keyOut(key), api_secret: apiSecret };
  });

  app.get(
    `${P}/orgs/:org_id/api-keys/:key_id/access-log`,
    {
      schema: {
        tags,
        security,
        params: KeyParams,
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
      },
    },
    async (req) => {
      await orgAccess(req, req.params.org_id, 'keys.manage');
      if (!(await s.store.getApiKey(req.params.org_id, req.params.key_id))) throw fail('key_not_found');
      await s.accessLog.flush();
      const entries = await s.store.listAccessLogs(req.params.org_id, req.params.key_id, req.query.limit ?? 100);
      return {
        entries: entries.map((e) => ({ method: e.method, path: e.path, status: e.status, time: formatIso(e.ts), ip: e.ip })),
      };
    },
  );

  // Projects and pixels

  app.get(`${P}/orgs/:org_id/projects`, { schema: { tags, security, params: OrgParams } }, async (req) => {
    await orgAccess(req, req.params.org_id, 'org.read');
    return { projects: (await s.projects.listProjects(req.params.org_id)).map(projectOut) };
  });

  app.post(
    `${P}/orgs/:org_id/projects`,
    { schema: { tags, security, params: OrgParams, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } },
    async (req, reply) => {
      await orgAccess(req, req.params.org_id, 'projects.write');
      return reply.status(201).send({ project: projectOut(await s.projects.createProject(req.params.org_id, req.body.name)) });
    },
  );

  const ProjectParams = Type.Object({ org_id: Id, project_id: Id });

  app.patch(
    `${P}/orgs/:org_id/projects/:project_id`,
    { schema: { tags, security, params: ProjectParams, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } },
    async (req) => {
      await orgAccess(req, req.params.org_id, 'projects.write');
      return { project: projectOut(await s.projects.renameProject(req.params.org_id, req.params.project_id, req.body.name)) };
    },
  );

  app.get(`${P}/orgs/:org_id/projects/:project_id/pixels`, { schema: { tags, security, params: ProjectParams } }, async (req) => {
    await orgAccess(req, req.params.org_id, 'org.read');
    const project = await s.projects.getProject(req.params.org_id, req.params.project_id);
    const pixels = await s.projects.listPixels(project);
    return {
      pixels: pixels.map((p) => ({
        ...pixelOut(s, p),
        snippet: `<script id="delivr-ai" src="${s.projects.installationUrl(p.id)}" async></script>`,
        first_event_at: p.first_event_at === null ? null : formatIso(p.first_event_at),
      })),
    };
  });

  app.post(
    `${P}/orgs/:org_id/projects/:project_id/pixels`,
    {
      schema: {
        tags,
        security,
        params: ProjectParams,
        body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), ...PixelSettingsFields }),
      },
    },
    async (req, reply) => {
      await orgAccess(req, req.params.org_id, 'pixels.write');
      const project = await s.projects.getProject(req.params.org_id, req.params.project_id);
      const pixel = await s.projects.createPixel(project, req.body.title, {
        respectPrivacy: req.body.respect_privacy_signals,
        trackers: req.body.trackers,
      });
      return reply.status(201).send({ pixel: pixelOut(s, pixel) });
    },
  );

  app.patch(
    `${P}/orgs/:org_id/pixels/:pixel_id`,
    {
      schema: {
        tags,
        security,
        summary: "Change a pixel's title, privacy setting or trackers (its script follows within 5 minutes)",
        params: Type.Object({ org_id: Id, pixel_id: Id }),
        body: Type.Object({ title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), ...PixelSettingsFields }),
      },
    },
    async (req) => {
      await orgAccess(req, req.params.org_id, 'pixels.write');
      const pixel = await s.projects.getPixelIn([req.params.org_id], req.params.pixel_id);
      const updated = await s.projects.updatePixel(pixel, {
        title: req.body.title,
        respectPrivacy: req.body.respect_privacy_signals,
        trackers: req.body.trackers,
      });
      return { pixel: pixelOut(s, updated) };
    },
  );

  app.get(
    `${P}/pixel-trackers`,
    {
      schema: {
        tags,
        security,
        summary: 'The optional trackers a pixel can enable, and the gzipped size of the script for each combination',
      },
    },
    async (req) => {
      await sessionAuth(s, req);
      return trackerCatalog();
    },
  );

  app.delete(
    `${P}/orgs/:org_id/pixels/:pixel_id`,
    { schema: { tags, security, params: Type.Object({ org_id: Id, pixel_id: Id }), response: { 200: Ok } } },
    async (req) => {
      await orgAccess(req, req.params.org_id, 'pixels.write');
      await s.projects.deletePixel(await s.projects.getPixelIn([req.params.org_id], req.params.pixel_id));
      return { ok: true };
    },
  );

  // Apps (account-level: Partner API credentials belong to the person)

  app.get(`${P}/apps`, { schema: { tags, security } }, async (req) => {
    const who = await sessionAuth(s, req);
    return { apps: (await s.store.listApps(who.user.id)).map(appOut) };
  });

  app.post(
    `${P}/apps`,
    { schema: { tags, security, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }) } },
    async (req, reply) => {
      const who = await sessionAuth(s, req);
      const name = req.body.name.trim();
      if (!name) throw fail('invalid_parameters', 'name must not be empty');
      const { app: created, clientSecret } = await s.credentials.createApp({ userId: who.user.id, name });
      return reply.status(201).send({ app: appOut(created), client_id: created.client_id, client_secret: clientSecret });
    },
  );

  app.delete(
    `${P}/apps/:app_id`,
    { schema: { tags, security, params: Type.Object({ app_id: Id }), response: { 200: Ok } } },
    async (req) => {
      const who = await sessionAuth(s, req);
      await s.credentials.deleteApp(who.user.id, req.params.app_id);
      return { ok: true };
    },
  );
}
