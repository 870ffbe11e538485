// Liveness and readiness for load balancers and orchestrators, and Prometheus metrics: public by
// default (they carry no tenant data), behind `Authorization: Bearer <METRICS_TOKEN>` when that is
// set, since process and traffic figures still tell an outsider about the deployment.
import { Type } from 'typebox';
import { safeEqual } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';
import { type App, bearerToken, errorResponses } from '../platform/http.js';
import type { Services } from '../services.js';

export function opsRoutes(app: App, s: Services): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Prometheus metrics',
        description: 'Public unless the server sets METRICS_TOKEN; then send `Authorization: Bearer <METRICS_TOKEN>`.',
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }), ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      const token = s.config.metricsToken;
      if (token !== null) {
        const given = bearerToken(req);
        if (given === undefined || !safeEqual(given, token)) {
          reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
          throw fail('metrics_token_required');
        }
      }
      reply.type(s.metrics.registry.contentType);
      return s.metrics.registry.metrics();
    },
  );

  app.get('/healthz', { schema: { tags: ['Operations'], response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
    status: 'ok',
  }));

  app.get('/readyz', { schema: { tags: ['Operations'] } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    try {
      await s.store.ping();
      checks.catalog = 'ok';
    } catch {
      checks.catalog = 'unavailable';
    }
    try {
      await s.analytics.countEvents({ organizationId: '-', pixelIds: [], startMs: 0, endMs: 0 });
      checks.analytics = 'ok';
    } catch {
      checks.analytics = 'unavailable';
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });
}
