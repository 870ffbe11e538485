// Dashboard organization API keys: list, create (key + secret shown once: "Credential generation is
// dashboard-only", the seeds say), revoke, rotate the secret, and each key's access log.
import { Type } from 'typebox';
import { type App, errorResponses, noStore } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import { formatIso } from '../platform/time.js';
import type { Services } from '../services.js';
import {
  AccessLogOut,
  AccessLogQuery,
  ApiKeyBody,
  ApiKeyCreated,
  ApiKeyEnvelope,
  ApiKeyList,
  ApiKeyRotated,
  type ApiKey as ApiKeyWire,
} from './schemas.js';
import { displayPrefix } from './service.js';
import type { ApiKey } from './store.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const OrgParams = Type.Object({ org_id: Id });
const KeyParams = Type.Object({ org_id: Id, key_id: Id });

const keyView = (k: ApiKey): ApiKeyWire => ({
  key_id: k.id,
  name: k.name,
  key_prefix: displayPrefix(k),
  status: k.status,
  secret_required: k.secret_required === 1,
  created_at: formatIso(k.created_at),
  last_used_at: k.last_used_at === null ? null : formatIso(k.last_used_at),
  revoked_at: k.revoked_at === null ? null : formatIso(k.revoked_at),
});

export function apiKeysDashboardRoutes(app: App, { auth, apiKeys }: Pick<Services, 'auth' | 'apiKeys'>): void {
  app.get(
    '/orgs/:org_id/api-keys',
    {
      schema: {
        tags,
        summary: "The organization's API keys",
        security,
        params: OrgParams,
        response: { 200: ApiKeyList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      return { keys: (await apiKeys.list(req.params.org_id)).map(keyView) };
    },
  );

  app.post(
    '/orgs/:org_id/api-keys',
    {
      schema: {
        tags,
        summary: 'Create an API key; the key and secret are shown only here',
        security,
        params: OrgParams,
        body: ApiKeyBody,
        response: { 201: ApiKeyCreated, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const who = await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      const created = await apiKeys.createKey({ organizationId: req.params.org_id, name: req.body.name, createdBy: who.user.id });
      noStore(reply);
      return reply.status(201).send({ key: keyView(created.key), api_key: created.apiKey, api_secret: created.apiSecret });
    },
  );

  app.post(
    '/orgs/:org_id/api-keys/:key_id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke an API key at once',
        security,
        params: KeyParams,
        response: { 200: ApiKeyEnvelope, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      return { key: keyView(await apiKeys.revoke(req.params.org_id, req.params.key_id)) };
    },
  );

  app.post(
    '/orgs/:org_id/api-keys/:key_id/rotate',
    {
      schema: {
        tags,
        summary: 'A new secret for the key; the old one stops working at once',
        security,
        params: KeyParams,
        response: { 200: ApiKeyRotated, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      const { key, apiSecret } = await apiKeys.rotateSecret(req.params.org_id, req.params.key_id);
      noStore(reply);
      return { key: keyView(key), api_secret: apiSecret };
    },
  );

  app.get(
    '/orgs/:org_id/api-keys/:key_id/access-log',
    {
      schema: {
        tags,
        summary: "A key's newest requests, one entry per method, path, status and minute",
        security,
        params: KeyParams,
        querystring: AccessLogQuery,
        response: { 200: AccessLogOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      const entries = await apiKeys.accessLogEntries(req.params.org_id, req.params.key_id, req.query.limit ?? 100);
      return {
        entries: entries.map((e) => ({
          method: e.method,
          path: e.path,
          status: e.status,
          time: formatIso(e.ts),
          ip: e.ip,
          count: e.count,
        })),
      };
    },
  );
}
