// Liveness and readiness for load balancers and orchestrators, and Prometheus metrics.
import { Type } from 'typebox';
import { type App, rawResponse } from '../platform/http.js';
import type { Services } from '../services.js';

const tags = ['Operations'];
const Checks = Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) });

export function opsRoutes(app: App, { metrics, health }: Pick<Services, 'metrics' | 'health'>): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags,
        summary: 'Prometheus metrics',
        response: { 200: rawResponse('Prometheus text exposition format', 'text/plain') },
      },
    },
    async (_req, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );

  app.get('/healthz', { schema: { tags, summary: 'Liveness', response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags, summary: 'Readiness: both stores answer', response: { 200: Checks, 503: Checks } } },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      for (const [name, probe] of Object.entries(health)) {
        try {
          await probe();
          checks[name] = 'ok';
        } catch {
          checks[name] = 'unavailable';
        }
      }
      const ready = Object.values(checks).every((v) => v === 'ok');
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );
}
