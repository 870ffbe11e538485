// The Partner API (/public/core): organizations, projects, pixels and apps for a person holding a
// platform JWT and app credentials. Bodies are wrapped in {"response": ...}; scope arrives in the
// underscore headers `organization_id` / `project_id`, always checked against the caller's memberships.
import { Type } from 'typebox';
import { can } from '../accounts/permissions.js';
import { organizationRole, platformAuth } from '../auth/guards.js';
import type { App as PartnerApp, Pixel, Project } from '../catalog/store.js';
import { PixelSettingsFields, parseStoredTrackers, TrackersField } from '../pixels/trackers.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import { formatSqlTime } from '../platform/time.js';
import type { Services } from '../services.js';

const tags = ['Partner API'];
const security = [{ bearerAuth: [], clientId: [], clientSecret: [] }];
const wrap = <T extends Parameters<typeof Type.Object>[0]>(props: T) => Type.Object({ response: Type.Object(props) });

const ProjectOut = Type.Object({ project_id: Type.String(), name: Type.String(), status: Type.String(), created_at: Type.String() });
const PixelOut = Type.Object({
  pixel_id: Type.String(),
  project_id: Type.String(),
  title: Type.String(),
  installation_url: Type.String(),
  status: Type.String(),
  created_at: Type.String(),
  trackers: TrackersField,
  respect_privacy_signals: Type.Boolean(),
});
const AppOut = Type.Object({
  app_id: Type.String(),
  created_by_user: Type.Object({ user_id: Type.String(), first_name: Type.String(), last_name: Type.String(), email: Type.String() }),
  secret: Type.Object({ client_id: Type.String(), client_secret: Type.String() }),
  name: Type.String(),
  status: Type.String(),
  updated_at: Type.String(),
  created_at: Type.String(),
});

const MASKED_SECRET = 'secret_********';

export function projectOut(p: Project) {
  return { project_id: p.id, name: p.name, status: p.status, created_at: formatSqlTime(p.created_at) };
}

export function pixelOut(s: Services, p: Pixel) {
  return {
    pixel_id: p.id,
    project_id: p.project_id,
    title: p.title,
    installation_url: s.projects.installationUrl(p.id),
    status: p.status,
    created_at: formatSqlTime(p.created_at),
    trackers: parseStoredTrackers(p.trackers),
    respect_privacy_signals: p.respect_privacy === 1,
  };
}

export function partnerRoutes(app: App, s: Services): void {
  for (const path of ['/public/core/', '/public/core/health']) {
    app.get(path, { schema: { tags, summary: 'Health', response: { 200: wrap({ status: Type.String() }) } } }, async () => ({
      response: { status: 'ok' },
    }));
  }

  app.post(
    '/public/core/api/app/create',
    {
      schema: {
        tags,
        summary: 'Create an app (Partner API credentials); the secret is shown only here',
        security: [{ bearerAuth: [] }],
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          201: wrap({ app_id: Type.String(), client_id: Type.String(), client_secret: Type.String() }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (req, reply) => {
      const { user } = await platformAuth(s, req, { requireApp: false });
      const { app: created, clientSecret } = await s.credentials.createApp({ userId: user.id, name: req.body.name.trim() || 'App' });
      return reply.status(201).send({ response: { app_id: created.id, client_id: created.client_id, client_secret: clientSecret } });
    },
  );

  app.get(
    '/public/core/api/app/retrieve/:app_id',
    {
      schema: {
        tags,
        summary: 'Read an app (client_secret masked)',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ app_id: Type.String({ maxLength: 100 }) }),
        response: { 200: wrap({ app: AppOut }), ...errorResponses(401, 404) },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: false });
      const found: PartnerApp | undefined = await s.store.getApp(req.params.app_id);
      if (!found || found.user_id !== user.id) throw fail('app_not_found');
      return {
        response: {
          app: {
            app_id: found.id,
            created_by_user: { user_id: user.id, first_name: user.first_name ?? '', last_name: user.last_name ?? '', email: user.email },
            secret: { client_id: found.client_id, client_secret: MASKED_SECRET },
            name: found.name,
            status: found.status,
            updated_at: formatSqlTime(found.updated_at),
            created_at: formatSqlTime(found.created_at),
          },
        },
      };
    },
  );

  app.get(
    '/public/core/api/organization/get',
    {
      schema: {
        tags,
        summary: "The caller's organizations (platform JWT; app headers optional)",
        security: [{ bearerAuth: [] }],
        response: {
          200: wrap({
            organizations: Type.Array(
              Type.Object({
                organization_id: Type.String(),
                name: Type.String(),
                status: Type.String(),
                role: Type.String(),
                created_at: Type.String(),
              }),
            ),
          }),
          ...errorResponses(401, 403),
        },
      },
    },
    async (req) => {
      const hasAppHeaders = Boolean(headerValue(req, 'x-delivr-client-id') || headerValue(req, 'x-delivr-client-secret'));
      const { user } = await platformAuth(s, req, { requireApp: hasAppHeaders });
      const orgs = await s.store.listOrganizationsForUser(user.id);
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
    '/public/core/api/organization/create',
    {
      schema: {
        tags,
        summary: 'Create an organization with a default project (partners: owners of an organization, or open sign-up)',
        security,
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          200: wrap({ organization: Type.Object({ organization_id: Type.String(), project_id: Type.String() }) }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: true });
      const mine = await s.store.listOrganizationsForUser(user.id);
      if (s.config.signupMode !== 'open' && !mine.some((o) => o.role === 'owner')) {
        throw fail('forbidden', 'only owners of an organization may create organizations');
      }
      const name = req.body.name.trim();
      if (!name) throw fail('invalid_parameters', 'name must not be empty');
      const now = s.now();
      const { organization, project } = await s.store.transaction(async (tx) => {
        const organization = await tx.createOrganization({ name, now });
        await tx.addMember({ organizationId: organization.id, userId: user.id, role: 'owner', now });
        const project = await tx.createProject({ organizationId: organization.id, name: 'Default project', now });
        return { organization, project };
      });
      return { response: { organization: { organization_id: organization.id, project_id: project.id } } };
    },
  );

  app.post(
    '/public/core/api/project/create',
    {
      schema: {
        tags,
        summary: 'Create a project in the organization named by the organization_id header',
        security,
        body: Type.Object({
          project: Type.Object({
            name: Type.String({ minLength: 1, maxLength: 200 }),
            email: Type.Optional(Type.String({ maxLength: 320 })),
          }),
        }),
        response: { 200: wrap({ project_id: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: true });
      const organizationId = headerValue(req, 'organization_id');
      const role = await organizationRole(s, organizationId, user.id);
      if (!can(role, 'projects.write')) throw fail('forbidden');
      const project = await s.projects.createProject(organizationId as string, req.body.project.name);
      return { response: { project_id: project.id } };
    },
  );

  app.get(
    '/public/core/api/project/get',
    {
      schema: {
        tags,
        summary: 'Projects of the organization in the organization_id header (all of yours without it)',
        security,
        response: { 200: wrap({ projects: Type.Array(ProjectOut) }), ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: true });
      const organizationId = headerValue(req, 'organization_id');
      let orgIds: string[];
      if (organizationId) {
        await organizationRole(s, organizationId, user.id);
        orgIds = [organizationId];
      } else {
        orgIds = (await s.store.listOrganizationsForUser(user.id)).map((o) => o.id);
      }
      const projects = (await Promise.all(orgIds.map((id) => s.projects.listProjects(id)))).flat();
      return { response: { projects: projects.map(projectOut) } };
    },
  );

  /** The project named by the project_id header, if the caller belongs to its organization. */
  async function scopedProject(userId: string, projectId: string | undefined): Promise<{ project: Project; orgIds: string[] }> {
    if (!projectId) throw fail('invalid_parameters', 'the project_id header is required');
    const orgIds = (await s.store.listOrganizationsForUser(userId)).map((o) => o.id);
    return { project: await s.projects.getProjectIn(orgIds, projectId), orgIds };
  }

  app.post(
    '/public/core/api/pixel/create',
    {
      schema: {
        tags,
        summary: 'Create a pixel in the project named by the project_id header',
        security,
        // Delivr documents {"title"}; trackers and respect_privacy_signals are our additions (optional).
        body: Type.Object({ title: Type.String({ minLength: 1, maxLength: 200 }), ...PixelSettingsFields }),
        response: { 200: wrap({ pixel_id: Type.String(), installation_url: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: true });
      const { project } = await scopedProject(user.id, headerValue(req, 'project_id'));
      const role = await organizationRole(s, project.organization_id, user.id);
      if (!can(role, 'pixels.write')) throw fail('forbidden');
      const pixel = await s.projects.createPixel(project, req.body.title, {
        trackers: req.body.trackers,
        respectPrivacy: req.body.respect_privacy_signals,
      });
      return { response: { pixel_id: pixel.id, installation_url: s.projects.installationUrl(pixel.id) } };
    },
  );

  app.get(
    '/public/core/api/pixel/get',
    {
      schema: {
        tags,
        summary: 'Pixels of the project in the project_id header; one pixel with ?pixel_id=',
        security,
        querystring: Type.Object({ pixel_id: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: {
          200: Type.Object({ response: Type.Object({ pixels: Type.Optional(Type.Array(PixelOut)), pixel: Type.Optional(PixelOut) }) }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: true });
      const pixelId = req.query.pixel_id ?? headerValue(req, 'pixel_id');
      if (pixelId) {
        const orgIds = (await s.store.listOrganizationsForUser(user.id)).map((o) => o.id);
        return { response: { pixel: pixelOut(s, await s.projects.getPixelIn(orgIds, pixelId)) } };
      }
      const { project } = await scopedProject(user.id, headerValue(req, 'project_id'));
      return { response: { pixels: (await s.projects.listPixels(project)).map((p) => pixelOut(s, p)) } };
    },
  );

  app.delete(
    '/public/core/api/pixel/delete',
    {
      schema: {
        tags,
        summary: 'Delete a pixel (JSON body {"pixel_id"}); its script and ingest stop at once',
        security,
        body: Type.Object({ pixel_id: Type.String({ minLength: 1, maxLength: 100 }) }),
        response: { 200: wrap({ pixel_id: Type.String(), status: Type.String() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await platformAuth(s, req, { requireApp: true });
      const orgIds = (await s.store.listOrganizationsForUser(user.id)).map((o) => o.id);
      const pixel = await s.projects.getPixelIn(orgIds, req.body.pixel_id);
      const role = await organizationRole(s, pixel.organization_id, user.id);
      if (!can(role, 'pixels.write')) throw fail('forbidden');
      await s.projects.deletePixel(pixel);
      return { response: { pixel_id: pixel.id, status: 'deleted' } };
    },
  );
}
