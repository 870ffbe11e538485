// Legacy JWT-created API clients (/client/v1), kept wire-compatible while on the deprecation path.
// Only a person's data-API JWT may manage them: an API key can never mint another key.
import { Type } from 'typebox';
import { can } from '../accounts/permissions.js';
import { userJwtAuth } from '../auth/guards.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses } from '../platform/http.js';
import { formatSqlTime } from '../platform/time.js';
import type { Services } from '../services.js';
import { displayPrefix } from './service.js';

const KeySummary = Type.Object({
  key_id: Type.String(),
  key_prefix: Type.String(),
  status: Type.String(),
  created_at: Type.String(),
});

export function clientRoutes(app: App, s: Services): void {
  app.post(
    '/client/v1',
    {
      schema: {
        tags: ['API clients (legacy)'],
        summary: 'Create an API client (key + secret shown once)',
        security: [{ bearerAuth: [] }],
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: {
          201: Type.Object({ client_id: Type.String(), api_key: Type.String(), api_secret: Type.String(), created_at: Type.String() }),
          ...errorResponses(400, 401, 403, 429),
        },
      },
    },
    async (req, reply) => {
      const who = await userJwtAuth(s, req, reply);
      if (!can(who.role, 'keys.manage')) throw fail('forbidden');
      const { client, created } = await s.credentials.createClient({
        organizationId: who.organizationId,
        name: req.body.name.trim() || 'API client',
        createdBy: who.user.id,
      });
      return reply.status(201).send({
        client_id: client.id,
        api_key: created.apiKey,
        api_secret: created.apiSecret,
        created_at: formatSqlTime(client.created_at),
      });
    },
  );

  app.get(
    '/client/v1',
    {
      schema: {
        tags: ['API clients (legacy)'],
        summary: 'List API clients (key prefixes only)',
        security: [{ bearerAuth: [] }],
        response: {
          200: Type.Object({
            clients: Type.Array(
              Type.Object({
                client_id: Type.String(),
                name: Type.String(),
                status: Type.String(),
                api_keys: Type.Array(KeySummary),
                created_at: Type.String(),
              }),
            ),
            total: Type.Integer(),
          }),
          ...errorResponses(401, 403, 429),
        },
      },
    },
    async (req, reply) => {
      const who = await userJwtAuth(s, req, reply);
      const clients = await s.credentials.listClients(who.organizationId);
      return {
        clients: clients.map(({ client, keys }) => ({
          client_id: client.id,
          name: client.name,
          status: client.status,
          api_keys: keys.map((k) => ({
            key_id: k.id,
            key_prefix: displayPrefix(k),
            status: k.status,
            created_at: formatSqlTime(k.created_at),
          })),
          created_at: formatSqlTime(client.created_at),
        })),
        total: clients.length,
      };
    },
  );

  app.delete(
    '/client/v1/:client_id',
    {
      schema: {
        tags: ['API clients (legacy)'],
        summary: 'Delete an API client; its key stops working at once',
        security: [{ bearerAuth: [] }],
        params: Type.Object({ client_id: Type.String({ maxLength: 100 }) }),
        response: { 200: Type.Object({ message: Type.String() }), ...errorResponses(401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await userJwtAuth(s, req, reply);
      if (!can(who.role, 'keys.manage')) throw fail('forbidden');
      await s.credentials.deleteClient(who.organizationId, req.params.client_id);
      return { message: 'API client deleted successfully.' };
    },
  );
}
