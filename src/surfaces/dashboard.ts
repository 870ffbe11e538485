// The dashboard's session API (/dashboard/api): everything the web app does, behind an httpOnly
// SameSite cookie session with a CSRF token on unsafe methods. Routes whose schema declares the
// session cookie get it checked before their body is validated, so a caller without a valid
// session or token learns nothing about what a body should look like (401/403, not 400).

import { accountsDashboardRoutes } from '../accounts/routes.dashboard.js';
import { apiKeysDashboardRoutes } from '../api-keys/routes.dashboard.js';
import { appsDashboardRoutes } from '../apps/routes.dashboard.js';
import { audiencesDashboardRoutes } from '../audiences/routes.dashboard.js';
import { demoDashboardRoutes } from '../demo/routes.dashboard.js';
import { eventsDashboardRoutes } from '../events/routes.dashboard.js';
import { fieldCatalogDashboardRoutes } from '../field-catalog/routes.dashboard.js';
import { identityDashboardRoutes } from '../identity/routes.dashboard.js';
import { identityImportDashboardRoutes } from '../identity-import/routes.dashboard.js';
import { intentDashboardRoutes } from '../intent/routes.dashboard.js';
import { membersDashboardRoutes } from '../members/routes.dashboard.js';
import { organizationsDashboardRoutes } from '../organizations/routes.dashboard.js';
import { pixelsDashboardRoutes } from '../pixels/routes.dashboard.js';
import { type App, documentsThrottle } from '../platform/http.js';
import { projectsDashboardRoutes } from '../projects/routes.dashboard.js';
import type { Services } from '../services.js';
import { sessionsDashboardRoutes } from '../sessions/routes.dashboard.js';
import { statsDashboardRoutes } from '../stats/routes.dashboard.js';
import { taxonomyDashboardRoutes } from '../taxonomy/routes.dashboard.js';
import { surface } from './scope.js';

export async function dashboardSurface(app: App, s: Services): Promise<void> {
  await surface(app, '/dashboard/api', (scope) => {
    scope.addHook('preValidation', async (req) => {
      const security = req.routeOptions.schema?.security as Record<string, unknown>[] | undefined;
      if (security?.some((scheme) => 'sessionCookie' in scheme)) await s.auth.session(req);
    });
    // Every session route spends the person's LIMIT_DASHBOARD_PER_USER budget.
    documentsThrottle(scope, (security) => security.some((scheme) => 'sessionCookie' in scheme));
    sessionsDashboardRoutes(scope, s);
    accountsDashboardRoutes(scope, s);
    membersDashboardRoutes(scope, s);
    apiKeysDashboardRoutes(scope, s);
    organizationsDashboardRoutes(scope, s);
    appsDashboardRoutes(scope, s);
    projectsDashboardRoutes(scope, s);
    pixelsDashboardRoutes(scope, s);
    eventsDashboardRoutes(scope, s);
    taxonomyDashboardRoutes(scope, s);
    intentDashboardRoutes(scope, s);
    identityDashboardRoutes(scope, s);
    identityImportDashboardRoutes(scope, s);
    demoDashboardRoutes(scope, s);
    fieldCatalogDashboardRoutes(scope, s);
    audiencesDashboardRoutes(scope, s);
    statsDashboardRoutes(scope, s);
  });
}
