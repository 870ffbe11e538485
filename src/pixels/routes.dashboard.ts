// Dashboard pixels: list a project's pixels with their install snippet and install check, create,
// change settings, delete, and the tracker catalog the pixel dialog offers (with script sizes).
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id, Ok } from '../platform/schemas.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';
import { trackerCatalog } from './render.js';
import { DashboardPixelList, PixelCreateBody, PixelEnvelope, PixelStatusOut, PixelUpdateBody, TrackerCatalogOut } from './schemas.js';
import { dashboardPixelView, pixelView } from './views.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const ProjectParams = Type.Object({ org_id: Id, project_id: Id });
const PixelParams = Type.Object({ org_id: Id, pixel_id: Id });

export function pixelsDashboardRoutes(app: App, { auth, projects, pixels }: Pick<Services, 'auth' | 'projects' | 'pixels'>): void {
  app.get(
    '/orgs/:org_id/projects/:project_id/pixels',
    {
      schema: {
        tags,
        summary: "A project's pixels with their install snippet and first event",
        security,
        params: ProjectParams,
        response: { 200: DashboardPixelList, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const project = await projects.get(req.params.org_id, req.params.project_id);
      return { pixels: (await pixels.list(project)).map((p) => dashboardPixelView(pixels, p)) };
    },
  );

  app.post(
    '/orgs/:org_id/projects/:project_id/pixels',
    {
      schema: {
        tags,
        summary: 'Create a pixel',
        security,
        params: ProjectParams,
        body: PixelCreateBody,
        response: { 201: PixelEnvelope, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'pixels.write');
      const project = await projects.get(req.params.org_id, req.params.project_id);
      const pixel = await pixels.create(project, req.body.title, {
        respectPrivacy: req.body.respect_privacy_signals,
        trackers: req.body.trackers,
        redirectHosts: req.body.redirect_hosts,
      });
      return reply.status(201).send({ pixel: pixelView(pixels, pixel) });
    },
  );

  app.patch(
    '/orgs/:org_id/pixels/:pixel_id',
    {
      schema: {
        tags,
        security,
        summary: "Change a pixel's title, privacy setting, trackers or redirect hosts (its script follows within 5 minutes)",
        params: PixelParams,
        body: PixelUpdateBody,
        response: { 200: PixelEnvelope, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'pixels.write');
      const pixel = await pixels.getIn([req.params.org_id], req.params.pixel_id);
      const updated = await pixels.update(pixel, {
        title: req.body.title,
        respectPrivacy: req.body.respect_privacy_signals,
        trackers: req.body.trackers,
        redirectHosts: req.body.redirect_hosts,
      });
      return { pixel: pixelView(pixels, updated) };
    },
  );

  app.delete(
    '/orgs/:org_id/pixels/:pixel_id',
    {
      schema: {
        tags,
        summary: 'Delete a pixel',
        security,
        params: PixelParams,
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'pixels.write');
      await pixels.delete(await pixels.getIn([req.params.org_id], req.params.pixel_id));
      return { ok: true };
    },
  );

  app.get(
    '/orgs/:org_id/pixels/:pixel_id/status',
    {
      schema: {
        tags,
        summary: 'Install check: when the first event from this pixel arrived (null until then)',
        security: [{ sessionCookie: [] }],
        params: PixelParams,
        response: { 200: PixelStatusOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const pixel = await pixels.getIn([req.params.org_id], req.params.pixel_id);
      return { pixel_id: pixel.id, first_event_at: pixel.first_event_at === null ? null : formatIso(pixel.first_event_at) };
    },
  );

  app.get(
    '/pixel-trackers',
    {
      schema: {
        tags,
        security,
        summary: 'The optional trackers a pixel can enable, and the gzipped size of the script for each combination',
        response: { 200: TrackerCatalogOut, ...errorResponses(401) },
      },
    },
    async (req) => {
      await auth.session(req);
      const { trackers, sizes } = trackerCatalog();
      return { trackers: [...trackers], sizes };
    },
  );
}
