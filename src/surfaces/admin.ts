// The operator's HTTP API (/admin/v1, "your Delivr contact"), guarded by ADMIN_TOKEN and absent (404)
// when none is configured. The token is checked before the body is validated, so a caller without
// it learns nothing, not even the fields.
import { demoAdminRoutes } from '../demo/routes.admin.js';
import { membersAdminRoutes } from '../members/routes.admin.js';
import { organizationsAdminRoutes } from '../organizations/routes.admin.js';
import type { App } from '../platform/http.js';
import type { Services } from '../services.js';
import { taxonomyAdminRoutes } from '../taxonomy/routes.admin.js';
import { surface } from './scope.js';

export async function adminSurface(app: App, s: Services): Promise<void> {
  await surface(app, '/admin/v1', (scope) => {
    scope.addHook('onRequest', async (req) => s.auth.admin(req));
    organizationsAdminRoutes(scope, s);
    membersAdminRoutes(scope, s);
    taxonomyAdminRoutes(scope, s);
    demoAdminRoutes(scope, s);
  });
}
