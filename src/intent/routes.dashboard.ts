// Intent for the dashboard, behind the session: the panel on a person's page (their topics, the
// surging ones explained). Every member may read it.
import { type App, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';
import { PanelParams, PanelQuery, PersonIntentOut } from './schemas.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [] }];

export function intentDashboardRoutes(app: App, { auth, intent }: Pick<Services, 'auth' | 'intent'>): void {
  app.get(
    '/orgs/:org_id/people/:hem_sha256/intent',
    {
      schema: {
        tags,
        summary: "A person's topics in the window, the surging ones explained (the Person page's intent panel)",
        security,
        params: PanelParams,
        querystring: PanelQuery,
        response: { 200: PersonIntentOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'org.read');
      return intent.personPanel(req.params.org_id, req.params.hem_sha256, req.query.window_days);
    },
  );
}
