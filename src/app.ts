// buildApp(services) assembles every surface on one Fastify instance and never listens; server.ts
// listens and tests inject requests or listen on a random port.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { adminRoutes } from './admin/routes.js';
import { registerAccessLogHook } from './auth/guards.js';
import { authRoutes } from './auth/routes.js';
import { collectRoutes } from './collect/routes.js';
import { clientRoutes } from './credentials/client-routes.js';
import { dashboardEventsRoutes } from './dashboard/events-routes.js';
import { dashboardExtraRoutes } from './dashboard/extra-routes.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { eventsRoutes } from './events/routes.js';
import { eventsSchemaRoutes } from './events/schema-routes.js';
import { opsRoutes } from './ops/routes.js';
import { partnerRoutes } from './partner/routes.js';
import { pixelScriptRoutes } from './pixels/routes.js';
import { ApiError } from './platform/errors.js';
import { type App, ErrorSchema, errorHandler } from './platform/http.js';
import type { Services } from './services.js';
import { webRoutes } from './web/routes.js';

const REQUEST_ID = /^[\w.:-]{1,100}$/;

export async function buildApp(s: Services): Promise<App> {
  const app = Fastify({
    loggerInstance: s.log as FastifyBaseLogger,
    bodyLimit: s.config.bodyLimitBytes,
    trustProxy: process.env.TRUST_PROXY === 'true',
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    routerOptions: { maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorSchema);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError('not_found', `${req.method} ${req.url.split('?')[0]} does not exist`);
    reply.status(404).send(e.body());
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'delivr',
        version: '0.1.0',
        description: 'Self-hostable, wire-compatible implementation of the Delivr.ai API.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          apiSecret: { type: 'apiKey', in: 'header', name: 'X-Api-Secret' },
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          clientId: { type: 'apiKey', in: 'header', name: 'X-Delivr-Client-ID' },
          clientSecret: { type: 'apiKey', in: 'header', name: 'X-Delivr-Client-Secret' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'dlvr_session' },
          csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
          adminToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAccessLogHook(app, s);
  opsRoutes(app, s);
  authRoutes(app, s);
  clientRoutes(app, s);
  partnerRoutes(app, s);
  adminRoutes(app, s);
  dashboardRoutes(app, s);
  dashboardEventsRoutes(app, s);
  dashboardExtraRoutes(app, s);
  eventsSchemaRoutes(app, s);
  eventsRoutes(app, s);
  collectRoutes(app, s);
  pixelScriptRoutes(app, s);
  webRoutes(app, s);

  app.addHook('onClose', async () => {
    await s.close();
  });
  return app;
}
