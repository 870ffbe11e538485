// The data API (Delivr's "apiv3"): organization key + secret, legacy key-only keys and user JWTs.
// Each authenticated request is written to its key's access log when it completes.

import { accountsDataRoutes } from '../accounts/routes.data.js';
import { audiencesDataRoutes } from '../audiences/routes.data.js';
import { eventsDataRoutes } from '../events/routes.data.js';
import { fieldCatalogDataRoutes } from '../field-catalog/routes.data.js';
import { identityDataRoutes } from '../identity/routes.data.js';
import { identityImportDataRoutes } from '../identity-import/routes.data.js';
import { intentDataRoutes } from '../intent/routes.data.js';
import { legacyClientsDataRoutes } from '../legacy-clients/routes.data.js';
import type { App } from '../platform/http.js';
import type { Services } from '../services.js';
import { statsDataRoutes } from '../stats/routes.data.js';
import { taxonomyDataRoutes } from '../taxonomy/routes.data.js';
import { surface } from './scope.js';

export async function dataSurface(app: App, s: Services): Promise<void> {
  await surface(app, '', (scope) => {
    scope.addHook('onResponse', async (req, reply) => {
      if (!req.accessKey) return;
      s.apiKeys.accessLog.add({
        key_id: req.accessKey.keyId,
        organization_id: req.accessKey.organizationId,
        method: req.method,
        path: req.url.split('?')[0]?.slice(0, 500) ?? '',
        status: reply.statusCode,
        ts: s.now(),
        ip: req.ip,
      });
    });
    accountsDataRoutes(scope, s);
    legacyClientsDataRoutes(scope, s);
    eventsDataRoutes(scope, s);
    identityDataRoutes(scope, s);
    fieldCatalogDataRoutes(scope, s);
    taxonomyDataRoutes(scope, s);
    intentDataRoutes(scope, s);
    identityImportDataRoutes(scope, s);
    audiencesDataRoutes(scope, s);
    statsDataRoutes(scope, s);
  });
}
