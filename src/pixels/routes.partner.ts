// Partner API pixels: create in the project named by the `project_id` header, read one or list a
// project's, delete. Scope headers are always checked against the caller's memberships.
import type { User } from '../accounts/store.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Project } from '../projects/store.js';
import type { Services } from '../services.js';
import {
  PartnerPixelCreated,
  PartnerPixelDeleteBody,
  PartnerPixelDeleted,
  PartnerPixelQuery,
  PartnerPixels,
  PixelCreateBody,
} from './schemas.js';
import { pixelView } from './views.js';

const tags = ['Partner API'];
const security = [{ bearerAuth: [], clientId: [], clientSecret: [] }];

export function pixelsPartnerRoutes(
  app: App,
  { auth, members, organizations, projects, pixels }: Pick<Services, 'auth' | 'members' | 'organizations' | 'projects' | 'pixels'>,
): void {
  const myOrganizationIds = async (user: User): Promise<string[]> => (await organizations.listForUser(user.id)).map((o) => o.id);

  /** The project named by the project_id header, if the caller belongs to its organization. */
  async function scopedProject(user: User, projectId: string | undefined): Promise<Project> {
    if (!projectId) throw fail('invalid_parameters', 'the project_id header is required');
    return projects.getIn(await myOrganizationIds(user), projectId);
  }

  app.post(
    '/api/pixel/create',
    {
      schema: {
        tags,
        summary: 'Create a pixel in the project named by the project_id header',
        security,
        body: PixelCreateBody,
        response: { 200: PartnerPixelCreated, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const project = await scopedProject(user, headerValue(req, 'project_id'));
      await members.require(project.organization_id, user.id, 'pixels.write');
      const pixel = await pixels.create(project, req.body.title, {
        trackers: req.body.trackers,
        respectPrivacy: req.body.respect_privacy_signals,
        redirectHosts: req.body.redirect_hosts,
      });
      return { response: { pixel_id: pixel.id, installation_url: pixels.installationUrl(pixel.id) } };
    },
  );

  app.get(
    '/api/pixel/get',
    {
      schema: {
        tags,
        summary: 'Pixels of the project in the project_id header; one pixel with ?pixel_id=',
        security,
        querystring: PartnerPixelQuery,
        response: { 200: PartnerPixels, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const pixelId = req.query.pixel_id ?? headerValue(req, 'pixel_id');
      if (pixelId) return { response: { pixel: pixelView(pixels, await pixels.getIn(await myOrganizationIds(user), pixelId)) } };
      const project = await scopedProject(user, headerValue(req, 'project_id'));
      return { response: { pixels: (await pixels.list(project)).map((p) => pixelView(pixels, p)) } };
    },
  );

  app.delete(
    '/api/pixel/delete',
    {
      schema: {
        tags,
        summary: 'Delete a pixel (JSON body {"pixel_id"}); its script and ingest stop at once',
        security,
        body: PartnerPixelDeleteBody,
        response: { 200: PartnerPixelDeleted, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: true });
      const pixel = await pixels.getIn(await myOrganizationIds(user), req.body.pixel_id);
      await members.require(pixel.organization_id, user.id, 'pixels.write');
      await pixels.delete(pixel);
      return { response: { pixel_id: pixel.id, status: 'deleted' } };
    },
  );
}
