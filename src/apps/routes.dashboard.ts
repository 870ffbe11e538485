// Dashboard apps (account-level: Partner API credentials belong to the person): list, create (the
// secret shown once), rotate the secret (the new one shown once), delete.
import { Type } from 'typebox';
import { type App, errorResponses, noStore } from '../platform/http.js';
import { Id, Ok } from '../platform/schemas.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';
import { AppBody, DashboardAppCreated, DashboardAppList, DashboardAppRotated, type PartnerApp as PartnerAppWire } from './schemas.js';
import type { PartnerApp } from './store.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];

const appView = (a: PartnerApp): PartnerAppWire => ({
  app_id: a.id,
  name: a.name,
  client_id: a.client_id,
  status: a.status,
  created_at: formatIso(a.created_at),
});

export function appsDashboardRoutes(app: App, { auth, apps }: Pick<Services, 'auth' | 'apps'>): void {
  app.get(
    '/apps',
    { schema: { tags, summary: 'Your apps', security, response: { 200: DashboardAppList, ...errorResponses(401) } } },
    async (req) => {
      const who = await auth.session(req);
      return { apps: (await apps.list(who.user.id)).map(appView) };
    },
  );

  app.post(
    '/apps',
    {
      schema: {
        tags,
        summary: 'Create an app; the client secret is shown only here',
        security,
        body: AppBody,
        response: { 201: DashboardAppCreated, ...errorResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const who = await auth.session(req);
      const { app: created, clientSecret } = await apps.create({ userId: who.user.id, name: req.body.name });
      noStore(reply);
      return reply.status(201).send({ app: appView(created), client_id: created.client_id, client_secret: clientSecret });
    },
  );

  app.post(
    '/apps/:app_id/rotate',
    {
      schema: {
        tags,
        summary: 'A new client secret for the app (shown only here); the old one stops working at once',
        security,
        params: Type.Object({ app_id: Id }),
        response: { 200: DashboardAppRotated, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const who = await auth.session(req);
      const { app: rotated, clientSecret } = await apps.rotateSecret(who.user.id, req.params.app_id);
      noStore(reply);
      return { app: appView(rotated), client_id: rotated.client_id, client_secret: clientSecret };
    },
  );

  app.delete(
    '/apps/:app_id',
    {
      schema: {
        tags,
        summary: 'Delete an app; its credentials stop working at once',
        security,
        params: Type.Object({ app_id: Id }),
        response: { 200: Ok, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      const who = await auth.session(req);
      await apps.delete(who.user.id, req.params.app_id);
      return { ok: true };
    },
  );
}
