// Liveness and readiness for load balancers and orchestrators, and Prometheus metrics: public by
// default (they carry no tenant data), metrics behind `Authorization: Bearer <METRICS_TOKEN>` when
// that is set, since process and traffic figures still tell an outsider about the deployment.
import { Type } from 'typebox';
import { safeEqual } from '../platform/crypto.js';
import { fail } from '../platform/errors.js';
import { type App, bearerToken, errorResponses, rawResponse } from '../platform/http.js';
import type { Services } from '../services.js';

const tags = ['Operations'];
const Checks = Type.Object({ status: Type.String(), checks: Type.Record(Type.String(), Type.String()) });

export function opsRoutes(app: App, { metrics, health, config }: Pick<Services, 'metrics' | 'health' | 'config'>): void {
  app.get(
    '/metrics',
    {
      schema: {
        tags,
        summary: 'Prometheus metrics',
        description: 'Public unless the server sets METRICS_TOKEN; then send `Authorization: Bearer <METRICS_TOKEN>`.',
        response: { 200: rawResponse('Prometheus text exposition format', 'text/plain'), ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      const token = config.metricsToken;
      if (token !== null) {
        const given = bearerToken(req);
        if (given === undefined || !safeEqual(given, token)) {
          reply.header('WWW-Authenticate', 'Bearer realm="metrics"');
          throw fail('metrics_token_required');
        }
      }
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
