// Legacy JWT-created API clients (/client/v1), kept wire-compatible while on the deprecation path.
// Only a person's data-API JWT may manage them: an API key can never mint another key. Listing shows
// key prefixes, so it needs keys.manage like creating and deleting (members get 403).
import { Type } from 'typebox';
import { can } from '../accounts/permissions.js';
import { displayPrefix } from '../api-keys/service.js';
import { fail } from '../platform/errors.js';
import { type App, errorResponses, noStore } from '../platform/http.js';
import { formatSqlTime } from '../platform/time.js';
import type { Services } from '../services.js';
import { ClientBody, ClientCreated, ClientDeleted, ClientList } from './schemas.js';

const tags = ['API clients (legacy)'];
const security = [{ bearerAuth: [] }];

export function legacyClientsDataRoutes(app: App, { auth, legacyClients }: Pick<Services, 'auth' | 'legacyClients'>): void {
  app.post(
    '/client/v1',
    {
      schema: {
        tags,
        summary: 'Create an API client (key + secret shown once)',
        security,
        body: ClientBody,
        response: { 201: ClientCreated, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.userJwt(req, reply);
      if (!can(who.role, 'keys.manage')) throw fail('forbidden');
      const { client, created } = await legacyClients.create({
        organizationId: who.organizationId,
        name: req.body.name,
        createdBy: who.user.id,
      });
      noStore(reply);
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
        tags,
        summary: 'List API clients (key prefixes only)',
        security,
        response: { 200: ClientList, ...errorResponses(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.userJwt(req, reply);
      if (!can(who.role, 'keys.manage')) throw fail('forbidden');
      const clients = await legacyClients.list(who.organizationId);
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
        tags,
        summary: 'Delete an API client; its key stops working at once',
        security,
        params: Type.Object({ client_id: Type.String({ maxLength: 100 }) }),
        response: { 200: ClientDeleted, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.userJwt(req, reply);
      if (!can(who.role, 'keys.manage')) throw fail('forbidden');
      await legacyClients.delete(who.organizationId, req.params.client_id);
      return { message: 'API client deleted successfully.' };
    },
  );
}
