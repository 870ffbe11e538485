// The operator's review of custom topic requests: list them (waiting ones by default), accept
// (the topic appears at once for the requesting organization, and only for it) or reject, with an
// optional note the organization sees in its topic's review history. ADMIN_TOKEN, like /admin/v1.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { DEFAULT_LIMIT, IdParam, MAX_LIMIT, RequestStatusField, TopicOut, TopicRequestOut } from './schemas.js';
import type { TopicRequestRow } from './store.js';
import { newTopicOut, topicRequestOut } from './views.js';

const tags = ['Operator'];
const security = [{ adminToken: [] }];
const AdminRequestOut = Type.Object({ ...TopicRequestOut.properties, organization_id: Type.String() });
const adminRequestOut = (r: TopicRequestRow) => ({ ...topicRequestOut(r), organization_id: r.organization_id });
const ReviewBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) });

export function taxonomyAdminRoutes(app: App, { taxonomy }: Pick<Services, 'taxonomy'>): void {
  app.get(
    '/topic-requests',
    {
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
      const rows = await taxonomy.listTopicRequests(null, f, {
        limit: req.query.limit ?? DEFAULT_LIMIT,
        offset: req.query.offset ?? 0,
      });
      return { topic_requests: rows.map(adminRequestOut), total: await taxonomy.countTopicRequests(null, f) };
    },
  );

  for (const [action, decision] of [
    ['accept', 'accepted'],
    ['reject', 'rejected'],
  ] as const) {
    app.post(
      `/topic-requests/:topic_request_id/${action}`,
      {
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
        const { request, topic } = await taxonomy.review(req.params.topic_request_id, decision, note);
        return { topic_request: adminRequestOut(request), topic: topic ? newTopicOut(topic) : null };
      },
    );
  }
}
