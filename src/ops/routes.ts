// Liveness and readiness for load balancers and orchestrators.
import { Type } from 'typebox';
import type { App } from '../platform/http.js';
import type { Services } from '../services.js';

export function opsRoutes(app: App, s: Services): void {
  app.get('/metrics', { schema: { tags: ['Operations'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
    reply.type(s.metrics.registry.contentType);
    return s.metrics.registry.metrics();
  });

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
