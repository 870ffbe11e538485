// The Partner API (/public/core): a person's platform JWT plus their app's client id/secret headers.
// Bodies are wrapped in {"response": ...}; scope arrives in the `organization_id` / `project_id`
// headers, always checked against the caller's memberships by the feature routes. The partner host's
// taxonomy-core paths (/taxonomy/core/...) share its credentials.
import { Type } from 'typebox';
import { accountsPartnerRoutes } from '../accounts/routes.partner.js';
import { appsPartnerRoutes } from '../apps/routes.partner.js';
import { organizationsPartnerRoutes } from '../organizations/routes.partner.js';
import { pixelsPartnerRoutes } from '../pixels/routes.partner.js';
import { type App, documentsThrottle } from '../platform/http.js';
import { wrap } from '../platform/schemas.js';
import { projectsPartnerRoutes } from '../projects/routes.partner.js';
import type { Services } from '../services.js';
import { taxonomyPartnerRoutes } from '../taxonomy/routes.partner.js';
import { surface } from './scope.js';

export async function partnerSurface(app: App, s: Services): Promise<void> {
  await surface(app, '/public/core', (scope) => {
    // Every route with a platform JWT spends the person's LIMIT_PARTNER_PER_USER budget.
    documentsThrottle(scope, (security) => security.some((scheme) => 'bearerAuth' in scheme));
    // `/public/core/` (with its slash, as Delivr has it) and `/public/core/health`.
    for (const path of ['/', '/health']) {
      scope.get(
        path,
        {
          prefixTrailingSlash: 'slash',
          schema: { tags: ['Partner API'], summary: 'Health', response: { 200: wrap({ status: Type.String() }) } },
        },
        async () => ({ response: { status: 'ok' } }),
      );
    }
    accountsPartnerRoutes(scope, s);
    appsPartnerRoutes(scope, s);
    organizationsPartnerRoutes(scope, s);
    projectsPartnerRoutes(scope, s);
    pixelsPartnerRoutes(scope, s);
  });
  // Delivr's partner host also serves the intent topics of taxonomy-core.
  await surface(app, '/taxonomy/core', (scope) => {
    documentsThrottle(scope, (security) => security.some((scheme) => 'bearerAuth' in scheme));
    taxonomyPartnerRoutes(scope, s);
  });
}
