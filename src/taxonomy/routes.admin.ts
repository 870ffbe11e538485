// The operator's review of custom topic requests: list them (waiting ones by default), accept
// (the topic appears at once for the requesting organization, and only for it) or reject, with an
// optional note the organization sees in its topic's review history. ADMIN_TOKEN, like /admin/v1.
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { adminAuth } from '../auth/guards.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import {
  DEFAULT_LIMIT,
  IdParam,
  MAX_LIMIT,
  newTopicOut,
  RequestStatusField,
  TopicOut,
  TopicRequestOut,
  topicRequestOut,
} from './schemas.js';
import type { TaxonomyService } from './service.js';
import type { TopicRequestRow } from './store.js';

const tags = ['Operator'];
const security = [{ adminToken: [] }];
const AdminRequestOut = Type.Object({ ...TopicRequestOut.properties, organization_id: Type.String() });
const adminRequestOut = (r: TopicRequestRow) => ({ ...topicRequestOut(r), organization_id: r.organization_id });
const ReviewBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) });

export function taxonomyAdminRoutes(app: App, deps: { services: Services; taxonomy: TaxonomyService }): void {
  const onRequest = async (req: FastifyRequest) => adminAuth(deps.services, req);

  app.get(
    '/admin/v1/topic-requests',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Topic requests of every organization (status=waiting_for_approval by default), oldest waiting first',
        security,
        querystring: Type.Object({
          status: Type.Optional(RequestStatusField),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIMIT })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
        }),
        response: {
          200: Type.Object({ topic_requests: Type.Array(AdminRequestOut), total: Type.Integer() }),
          ...errorResponses(400, 401, 404),
        },
      },
    },
    async (req) => {
      const f = { status: req.query.status ?? ('waiting_for_approval' as const) };
      const rows = await deps.taxonomy.store.listTopicRequests(null, f, {
        limit: req.query.limit ?? DEFAULT_LIMIT,
        offset: req.query.offset ?? 0,
      });
      return { topic_requests: rows.map(adminRequestOut), total: await deps.taxonomy.store.countTopicRequests(null, f) };
    },
  );

  for (const [action, decision] of [
    ['accept', 'accepted'],
    ['reject', 'rejected'],
  ] as const) {
    app.post(
      `/admin/v1/topic-requests/:topic_request_id/${action}`,
      {
        onRequest,
        schema: {
          tags,
          summary:
            decision === 'accepted'
              ? 'Accept a waiting topic request: the topic is created for the requesting organization only'
              : 'Reject a waiting topic request',
          security,
          params: IdParam('topic_request_id'),
          body: ReviewBody,
          response: {
            200: Type.Object({ topic_request: AdminRequestOut, topic: Type.Union([TopicOut, Type.Null()]) }),
            ...errorResponses(400, 401, 404, 409),
          },
        },
      },
      async (req) => {
        const note = req.body.note?.trim() || null;
        const { request, topic } = await deps.taxonomy.review(req.params.topic_request_id, decision, note);
        return { topic_request: adminRequestOut(request), topic: topic ? newTopicOut(topic) : null };
      },
    );
  }
}
