// Dashboard organization settings: the API key policy (Settings > API keys). Whether the
// organization's keys must send their secret is on by default (seed v2, "secret_required"); an owner
// may turn it off so a legacy integration that sends X-Api-Key alone keeps working, deliberately.
// Owners and admins (keys.manage) read it; only owners (keys.policy) change it.
import { Type } from 'typebox';
import { type App, errorResponses } from '../platform/http.js';
import { Id } from '../platform/schemas.js';
import type { Services } from '../services.js';
import { ApiKeySettingsBody, ApiKeySettingsOut } from './schemas.js';

const tags = ['Dashboard session API'];
const security = [{ sessionCookie: [], csrfToken: [] }];
const OrgParams = Type.Object({ org_id: Id });

export function organizationsDashboardRoutes(app: App, { auth, organizations }: Pick<Services, 'auth' | 'organizations'>): void {
  app.get(
    '/orgs/:org_id/api-key-settings',
    {
      schema: {
        tags,
        summary: "The organization's API key policy: whether keys must send their secret",
        security,
        params: OrgParams,
        response: { 200: ApiKeySettingsOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.manage');
      const { secretRequired } = await organizations.apiKeySettings(req.params.org_id);
      return { secret_required: secretRequired };
    },
  );

  app.patch(
    '/orgs/:org_id/api-key-settings',
    {
      schema: {
        tags,
        summary: 'Require the API secret on every key (the default), or accept keys alone (owners only)',
        security,
        params: OrgParams,
        body: ApiKeySettingsBody,
        response: { 200: ApiKeySettingsOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => {
      await auth.orgAccess(req, req.params.org_id, 'keys.policy');
      const { secretRequired } = await organizations.setSecretRequired(req.params.org_id, req.body.secret_required);
      return { secret_required: secretRequired };
    },
  );
}
