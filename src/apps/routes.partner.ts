// Partner API apps: create one (the secret is shown only then), read one back (secret masked), and
// rotate its secret (the new one shown only then; the old one stops working at once).
import { Type } from 'typebox';
import { type App, errorResponses, noStore } from '../platform/http.js';
import { formatSqlTime } from '../platform/time.js';
import type { Services } from '../services.js';
import { AppBody, PartnerAppCreated, PartnerAppRetrieved, PartnerAppRotated } from './schemas.js';

const tags = ['Partner API'];
const security = [{ bearerAuth: [] }];
const MASKED_SECRET = 'secret_********';

export function appsPartnerRoutes(app: App, { auth, apps }: Pick<Services, 'auth' | 'apps'>): void {
  app.post(
    '/api/app/create',
    {
      schema: {
        tags,
        summary: 'Create an app (Partner API credentials); the secret is shown only here',
        security,
        body: AppBody,
        response: { 201: PartnerAppCreated, ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const { user } = await auth.platform(req, { requireApp: false });
      const { app: created, clientSecret } = await apps.create({ userId: user.id, name: req.body.name });
      noStore(reply);
      return reply.status(201).send({ response: { app_id: created.id, client_id: created.client_id, client_secret: clientSecret } });
    },
  );

  app.post(
    '/api/app/rotate/:app_id',
    {
      schema: {
        tags,
        summary: "Rotate an app's client secret; the new secret is shown only here and the old one stops working at once",
        security,
        params: Type.Object({ app_id: Type.String({ maxLength: 100 }) }),
        response: { 200: PartnerAppRotated, ...errorResponses(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const { user } = await auth.platform(req, { requireApp: false });
      const { app: rotated, clientSecret } = await apps.rotateSecret(user.id, req.params.app_id);
      noStore(reply);
      return { response: { app_id: rotated.id, client_id: rotated.client_id, client_secret: clientSecret } };
    },
  );

  app.get(
    '/api/app/retrieve/:app_id',
    {
      schema: {
        tags,
        summary: 'Read an app (client_secret masked)',
        security,
        params: Type.Object({ app_id: Type.String({ maxLength: 100 }) }),
        response: { 200: PartnerAppRetrieved, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const { user } = await auth.platform(req, { requireApp: false });
      const found = await apps.getOwned(user.id, req.params.app_id);
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
}
