// The taxonomy for the dashboard's Topics page, behind the session: browse and search the topics the
// organization sees (the shared catalog and its accepted custom topics), its categories, and its
// custom topic requests (propose one, see each one's status). Every member may read; proposing a
// topic changes what the organization tracks, so it takes owners and admins (as projects do).

import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import {
  DashboardCategoriesOut,
  DashboardTopicRequestOut,
  DashboardTopicRequestsOut,
  DashboardTopicsOut,
  DEFAULT_LIMIT,
  MAX_LIMIT,
  TopicRequestBody,
  TopicRequestsQuery,
  TopicsQuery,
} from './schemas.js';
import { categoryOut, topicOut, topicRequestInput, topicRequestOut } from './views.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [] }];
const OrgParams = Type.Object({ org_id: Type.String({ minLength: 1, maxLength: 100 }) });
const page = (q: { limit?: number | undefined; offset?: number | undefined }) => ({
  limit: q.limit ?? DEFAULT_LIMIT,
  offset: q.offset ?? 0,
});

export function taxonomyDashboardRoutes(app: App, { auth, taxonomy }: Pick<Services, 'auth' | 'taxonomy'>): void {
  app.get(
    '/orgs/:org_id/topics',
    {
      schema: {
        tags,
        summary: 'Topics the organization sees (Taxonomy API filters: search, category, type), with the total',
        security,
        params: OrgParams,
        querystring: TopicsQuery,
        response: { 200: DashboardTopicsOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const org = req.params.org_id;
      await auth.orgAccess(req, org, 'org.read');
      const [rows, total] = await Promise.all([taxonomy.listTopics(org, req.query, page(req.query)), taxonomy.countTopics(org, req.query)]);
      return { topics: rows.map(topicOut), total };
    },
  );

  app.get(
    '/orgs/:org_id/topic-categories',
    {
      schema: {
        tags,
        summary: 'Every active topic category, for the Topics page’s filter',
        security,
        params: OrgParams,
        response: { 200: DashboardCategoriesOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const rows = await taxonomy.listCategories({ status: 'active' }, { limit: MAX_LIMIT, offset: 0 });
      return { categories: rows.map(categoryOut) };
    },
  );

  app.get(
    '/orgs/:org_id/topic-requests',
    {
      schema: {
        tags,
        summary: "The organization's custom topic requests with their status, newest first",
        security,
        params: OrgParams,
        querystring: TopicRequestsQuery,
        response: { 200: DashboardTopicRequestsOut, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const org = req.params.org_id;
      await auth.orgAccess(req, org, 'org.read');
      const [rows, total] = await Promise.all([
        taxonomy.listTopicRequests(org, req.query, page(req.query)),
        taxonomy.countTopicRequests(org, req.query),
      ]);
      return { topic_requests: rows.map(topicRequestOut), total };
    },
  );

  app.post(
    '/orgs/:org_id/topic-requests',
    {
      schema: {
        tags,
        summary: 'Propose a custom topic; it waits for the operator (status waiting_for_approval)',
        security,
        params: OrgParams,
        body: TopicRequestBody,
        response: { 201: DashboardTopicRequestOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      const org = req.params.org_id;
      await auth.orgAccess(req, org, 'projects.write');
      const created = await taxonomy.createTopicRequest(org, topicRequestInput(req.body));
      return reply.status(201).send({ topic_request: topicRequestOut(created) });
    },
  );
}
