// The Taxonomy API on the data host (spec section 8): categories, subcategories and topics with
// limit/offset/search/status filters and counts, custom topic requests scoped to the caller's
// organization, and a requested topic's review history. Organization API key + secret, legacy
// key-only keys and user JWTs, like every data API; answers wrapped in {"response": ...}.

import { Type } from 'typebox';
import { fail } from '../platform/errors.js';
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import {
  ATTRIBUTION,
  CategoriesCountQuery,
  CategoriesQuery,
  CategoryOut,
  DEFAULT_LIMIT,
  IdParam,
  RequestStatusField,
  ReviewOut,
  SubcategoriesCountQuery,
  SubcategoriesQuery,
  SubcategoryOut,
  TopicOut,
  TopicRequestBody,
  TopicRequestOut,
  TopicRequestPatch,
  TopicRequestsCountQuery,
  TopicRequestsQuery,
  TopicsCountQuery,
  TopicsQuery,
  wrap,
} from './schemas.js';
import { categoryOut, cleanKeywords, reviewOut, subcategoryOut, topicOut, topicRequestInput, topicRequestOut } from './views.js';

const tags = ['Taxonomy'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { apiKey: [] }, { bearerAuth: [] }];
const page = (q: { limit?: number | undefined; offset?: number | undefined }) => ({
  limit: q.limit ?? DEFAULT_LIMIT,
  offset: q.offset ?? 0,
});
const Count = wrap({ count: Type.Integer() });
const read = errorResponses(400, 401, 429);
const readOne = errorResponses(400, 401, 404, 429);

export function taxonomyDataRoutes(app: App, { auth, taxonomy }: Pick<Services, 'auth' | 'taxonomy'>): void {
  app.get(
    '/taxonomy/categories',
    {
      schema: {
        tags,
        summary: 'List categories',
        description: ATTRIBUTION,
        security,
        querystring: CategoriesQuery,
        response: { 200: wrap({ categories: Type.Array(CategoryOut) }), ...read },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      return { response: { categories: (await taxonomy.listCategories(req.query, page(req.query))).map(categoryOut) } };
    },
  );

  app.get(
    '/taxonomy/categories/count',
    {
      schema: {
        tags,
        summary: 'Count categories matching the filters',
        security,
        querystring: CategoriesCountQuery,
        response: { 200: Count, ...read },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      return { response: { count: await taxonomy.countCategories(req.query) } };
    },
  );

  app.get(
    '/taxonomy/categories/:category_id',
    {
      schema: {
        tags,
        summary: 'One category',
        security,
        params: IdParam('category_id'),
        response: { 200: wrap(CategoryOut.properties), ...readOne },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      const c = await taxonomy.getCategory(req.params.category_id);
      if (!c) throw fail('category_not_found');
      return { response: categoryOut(c) };
    },
  );

  app.get(
    '/taxonomy/subcategories',
    {
      schema: {
        tags,
        summary: 'List subcategories (optionally of one category)',
        security,
        querystring: SubcategoriesQuery,
        response: { 200: wrap({ subcategories: Type.Array(SubcategoryOut) }), ...read },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      return { response: { subcategories: (await taxonomy.listSubcategories(req.query, page(req.query))).map(subcategoryOut) } };
    },
  );

  app.get(
    '/taxonomy/subcategories/count',
    {
      schema: {
        tags,
        summary: 'Count subcategories matching the filters',
        security,
        querystring: SubcategoriesCountQuery,
        response: { 200: Count, ...read },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      return { response: { count: await taxonomy.countSubcategories(req.query) } };
    },
  );

  app.get(
    '/taxonomy/subcategories/:subcategory_id',
    {
      schema: {
        tags,
        summary: 'One subcategory',
        security,
        params: IdParam('subcategory_id'),
        response: { 200: wrap(SubcategoryOut.properties), ...readOne },
      },
    },
    async (req, reply) => {
      await auth.data(req, reply);
      const sub = await taxonomy.getSubcategory(req.params.subcategory_id);
      if (!sub) throw fail('subcategory_not_found');
      return { response: subcategoryOut(sub) };
    },
  );

  app.get(
    '/taxonomy/topics',
    {
      schema: {
        tags,
        summary: "List topics: the shared catalog and the organization's accepted custom topics",
        description: ATTRIBUTION,
        security,
        querystring: TopicsQuery,
        response: { 200: wrap({ topics: Type.Array(TopicOut) }), ...read },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return { response: { topics: (await taxonomy.listTopics(who.organizationId, req.query, page(req.query))).map(topicOut) } };
    },
  );

  app.get(
    '/taxonomy/topics/count',
    {
      schema: {
        tags,
        summary: 'Count topics matching the filters',
        security,
        querystring: TopicsCountQuery,
        response: { 200: Count, ...read },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return { response: { count: await taxonomy.countTopics(who.organizationId, req.query) } };
    },
  );

  app.get(
    '/taxonomy/topics/:topic_id',
    {
      schema: {
        tags,
        summary: 'One topic, with description and keywords',
        security,
        params: IdParam('topic_id'),
        response: { 200: wrap(TopicOut.properties), ...readOne },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const t = await taxonomy.getTopic(who.organizationId, req.params.topic_id);
      if (!t) throw fail('topic_not_found');
      return { response: topicOut(t) };
    },
  );

  app.post(
    '/taxonomy/topic-requests',
    {
      schema: {
        tags,
        summary: 'Propose a custom topic; it waits for the operator (status waiting_for_approval)',
        security,
        body: TopicRequestBody,
        response: { 201: wrap(TopicRequestOut.properties), ...errorResponses(400, 401, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const created = await taxonomy.createTopicRequest(who.organizationId, topicRequestInput(req.body));
      return reply.status(201).send({ response: topicRequestOut(created) });
    },
  );

  app.get(
    '/taxonomy/topic-requests',
    {
      schema: {
        tags,
        summary: "The organization's topic requests, newest first",
        security,
        querystring: TopicRequestsQuery,
        response: { 200: wrap({ topic_requests: Type.Array(TopicRequestOut) }), ...read },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const rows = await taxonomy.listTopicRequests(who.organizationId, req.query, page(req.query));
      return { response: { topic_requests: rows.map(topicRequestOut) } };
    },
  );

  app.get(
    '/taxonomy/topic-requests/count',
    {
      schema: {
        tags,
        summary: "Count the organization's topic requests matching the filters",
        security,
        querystring: TopicRequestsCountQuery,
        response: { 200: Count, ...read },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return { response: { count: await taxonomy.countTopicRequests(who.organizationId, req.query) } };
    },
  );

  app.get(
    '/taxonomy/topic-requests/:topic_request_id',
    {
      schema: {
        tags,
        summary: 'One topic request',
        security,
        params: IdParam('topic_request_id'),
        response: { 200: wrap(TopicRequestOut.properties), ...readOne },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return { response: topicRequestOut(await taxonomy.getTopicRequest(who.organizationId, req.params.topic_request_id)) };
    },
  );

  app.put(
    '/taxonomy/topic-requests/:topic_request_id',
    {
      schema: {
        tags,
        summary: 'Change a topic request while it waits for approval (fields left out stay as they are)',
        security,
        params: IdParam('topic_request_id'),
        body: TopicRequestPatch,
        response: { 200: wrap(TopicRequestOut.properties), ...errorResponses(400, 401, 404, 409, 429) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const b = req.body;
      const name = b.name?.trim();
      if (name === '') throw fail('invalid_parameters', 'name must not be empty');
      const updated = await taxonomy.updateTopicRequest(who.organizationId, req.params.topic_request_id, {
        ...(name !== undefined ? { name } : {}),
        ...(b.description !== undefined ? { description: b.description.trim() } : {}),
        ...(b.keywords !== undefined ? { keywords: cleanKeywords(b.keywords) } : {}),
        ...(b.category_id !== undefined ? { category_id: b.category_id } : {}),
        ...(b.subcategory_id !== undefined ? { subcategory_id: b.subcategory_id } : {}),
        ...(b.topic_type !== undefined ? { topic_type: b.topic_type } : {}),
      });
      return { response: topicRequestOut(updated) };
    },
  );

  app.get(
    '/taxonomy/topic-reviews/:topic_id',
    {
      schema: {
        tags,
        summary: 'Review status and history of a topic (a requested custom topic; catalog topics are accepted with no history)',
        security,
        params: IdParam('topic_id'),
        response: { 200: wrap({ topic_id: Type.String(), status: RequestStatusField, reviews: Type.Array(ReviewOut) }), ...readOne },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      const topicId = req.params.topic_id;
      const request = await taxonomy.getTopicRequestByTopic(who.organizationId, topicId);
      if (request) {
        const reviews = await taxonomy.listReviews(who.organizationId, topicId);
        return { response: { topic_id: topicId, status: request.status, reviews: reviews.map(reviewOut) } };
      }
      if (!(await taxonomy.getTopic(who.organizationId, topicId))) throw fail('topic_not_found');
      return { response: { topic_id: topicId, status: 'accepted' as const, reviews: [] } };
    },
  );
}
