// Intent on the data API (key + secret, legacy key-only keys and user JWTs): a person's or a
// company's topics with their scores, and one score explained (the baseline, the pages and the days
// that made it). docs/intent.md has the formula and a worked example.
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { ExplainOut, ExplainQuery, IntentOut, IntentQuery } from './schemas.js';

const tags = ['Intent'];
const security: { [label: string]: string[] }[] = [{ apiKey: [], apiSecret: [] }, { bearerAuth: [] }];

// Each read runs under the query gate (analytics/query-gate.ts): the deadline (503 query_timeout) and
// the organization's share of concurrent queries (429 too_many_queries).
export function intentDataRoutes(app: App, { auth, intent, queries }: Pick<Services, 'auth' | 'intent' | 'queries'>): void {
  app.get(
    '/api/v1/intent',
    {
      schema: {
        tags,
        summary: "A person's (hem=) or a company's (company_domain=) topics with intent_score, intent_frequency and surging, best first",
        security,
        querystring: IntentQuery,
        response: { 200: IntentOut, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return queries.run(who.organizationId, req.signal, () => intent.topics(who.organizationId, req.query, req.query.window_days));
    },
  );

  app.get(
    '/api/v1/intent/explain',
    {
      schema: {
        tags,
        summary: 'One topic’s intent score for a person or a company, with the baseline, pages and days that made it',
        security,
        querystring: ExplainQuery,
        response: { 200: ExplainOut, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (req, reply) => {
      const who = await auth.data(req, reply);
      return queries.run(who.organizationId, req.signal, () => intent.explain(who.organizationId, req.query, req.query.window_days));
    },
  );
}
