// buildApp(services) assembles every surface on one Fastify instance and never listens; server.ts
// listens and tests inject requests or listen on a random port.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyBaseLogger, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { completeDocument, docsUiOptions } from './ops/docs.js';
import { opsRoutes } from './ops/routes.js';
import { ApiError } from './platform/errors.js';
import { type App, ErrorSchema, errorHandler } from './platform/http.js';
import { LazyRequestLogger } from './platform/logger.js';
import { slicedHttpServer } from './platform/turns.js';
import type { Services } from './services.js';
import { adminSurface } from './surfaces/admin.js';
import { dashboardSurface } from './surfaces/dashboard.js';
import { dataSurface } from './surfaces/data.js';
import { partnerSurface } from './surfaces/partner.js';
import { pixelSurface } from './surfaces/pixel.js';
import { webRoutes } from './web/routes.js';

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/**
 * Request ids shaped like UUIDs: a random prefix per process and a counter for the last group. Unique
 * per request like a random UUID, without drawing random bytes for each (thousands a second on ingest).
 */
class RequestIds {
  private readonly prefix = randomUUID().slice(0, 24);
  private n = 0;

  next(): string {
    this.n += 1;
    return `${this.prefix}${this.n.toString(16).padStart(12, '0')}`;
  }
}
const requestIds = new RequestIds();

/** NUL is storable in SQLite but not in PostgreSQL: refused everywhere so both catalogs agree. */
function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 20 || value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1));
}

export async function buildApp(s: Services): Promise<App> {
  const app = Fastify({
    loggerInstance: s.log as FastifyBaseLogger,
    bodyLimit: s.config.bodyLimitBytes,
    trustProxy: s.config.trustProxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : requestIds.next();
    },
    // Request logs as before; the child logger behind them is made only when a request logs a line.
    childLoggerFactory: (logger, bindings, options) =>
      options.level === undefined && options.serializers === undefined
        ? (new LazyRequestLogger(logger as Logger, bindings) as unknown as FastifyBaseLogger)
        : logger.child(bindings, options),
    routerOptions: { maxParamLength: 200 },
    serverFactory: slicedHttpServer,
    // Malformed URLs and over-long path parameters answer from our catalogue, not Fastify's body.
    frameworkErrors: (err, req, reply) => {
      const e = new ApiError('invalid_parameters', err.message);
      req.log.info({ code: err.code }, 'request rejected by the router');
      void (reply as FastifyReply).status(e.status).send(e.body());
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Query strings, params and headers arrive as text, so they are coerced to the schema's types;
  // JSON bodies are not: {"name": 42} is a wrong type, not a project called "42".
  const textParts = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  const bodies = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  addFormats.default(textParts);
  addFormats.default(bodies);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodies : textParts).compile(schema));
  // Hooks on every request are callback-style, not async: no promise and microtask per request per hook.
  app.addHook('preValidation', (req, _reply, done) => {
    if (req.url.startsWith('/pixel/core/api/')) return done();
    if (containsNul(req.body) || containsNul(req.query) || containsNul(req.params)) {
      return done(new ApiError('invalid_parameters', 'text must not contain NUL characters'));
    }
    done();
  });

  app.addSchema(ErrorSchema);
  // A write that failed for lack of space answers 507 and makes /readyz say not ready (platform/storage.ts).
  app.setErrorHandler(function (err: Error, req, reply) {
    if (!s.storage.noteFailure(err)) return errorHandler.call(this, err, req, reply);
    req.log.error({ err }, 'a write failed for lack of storage space');
    return errorHandler.call(this, new ApiError('storage_full', 'free space on the server, then retry'), req, reply);
  });
  app.setNotFoundHandler((req, reply) => {
    const e = new ApiError('not_found', `${req.method} ${req.url.split('?')[0]} does not exist`);
    reply.status(404).send(e.body());
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    done(null, payload);
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
    transformObject: completeDocument(s.config.publicUrl),
  });
  await app.register(swaggerUi, docsUiOptions);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.decorateRequest('accessKey', null);
  opsRoutes(app, s);
  await dataSurface(app, s);
  await partnerSurface(app, s);
  await adminSurface(app, s);
  await dashboardSurface(app, s);
  await pixelSurface(app, s);
  webRoutes(app);

  endUnusedConnections(app);
  app.addHook('onClose', async () => {
    await s.close();
  });
  return app;
}

/**
 * A connection that never carried a request (clients open them ahead of need: browsers preconnect,
 * undici connects for a queued request that then leaves on another socket) counts for Node as
 * waiting for its first request, not as idle, so closing the server waited for it until the client
 * gave up, a minute or more. Closing ends those at once; idle keep-alive ones Node ends itself, and
 * requests under way finish as before.
 */
function endUnusedConnections(app: App): void {
  const unused = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  app.server.on('request', (req: IncomingMessage) => unused.delete(req.socket));
  app.addHook('preClose', async () => {
    for (const socket of unused) socket.destroy();
  });
}
