// Intent for the dashboard, behind the session: the panel on a person's page (their topics, the
// surging ones explained), and the audience builder's topics with how many people surge on each.
// Every member may read them.

import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { PanelParams, PanelQuery, PersonIntentOut, SurgingTopicsOut, SurgingTopicsQuery } from './schemas.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [] }];

export function intentDashboardRoutes(app: App, { auth, intent, queries }: Pick<Services, 'auth' | 'intent' | 'queries'>): void {
  app.get(
    '/orgs/:org_id/people/:hem_sha256/intent',
    {
      schema: {
        tags,
        summary: "A person's topics in the window, the surging ones explained (the Person page's intent panel)",
        security,
        params: PanelParams,
        querystring: PanelQuery,
        response: { 200: PersonIntentOut, ...errorResponses(400, 401, 403, 404, 429, 503) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const org = req.params.org_id;
      // Under the query gate: a deadline and the organization's share (analytics/query-gate.ts).
      return queries.run(org, req.signal, () => intent.personPanel(org, req.params.hem_sha256, req.query.window_days));
    },
  );

  app.get(
    '/orgs/:org_id/intent/surging-topics',
    {
      schema: {
        tags,
        summary: 'Topics with how many people surge on each (score 60+) in the window, most first (the audience builder)',
        security,
        params: Type.Object({ org_id: Id }),
        querystring: SurgingTopicsQuery,
        response: { 200: SurgingTopicsOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      const windowDays = req.query.window_days ?? 7;
      const topicIds = req.query.topic_ids
        ?.split(',')
        .map((id) => id.trim())
        .filter(Boolean);
      const topics = await intent.surgingTopics(req.params.org_id, {
        windowDays,
        limit: req.query.limit ?? 20,
        ...(topicIds ? { topicIds } : {}),
      });
      return { window_days: windowDays, topics };
    },
  );
}
