// The public ingest endpoints (spec 3.4 and 16): POST /pixel/core/api/send-event for the tracker and
// servers (JSON or text/plain, one event or a batch), GET .../send-event/get with URL-encoded
// fields and an optional redirect, and the cookie-sync GET. Open to any site (CORS), no auth.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { GroupCommitOverloadedError } from '../analytics/group-commit.js';
import { ApiError, fail } from '../platform/errors.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import type { RequestFacts } from './enrich.js';
import type { EventOutcome } from './service.js';
import { INGEST_LIMITS, splitBody } from './validate.js';

const tags = ['Pixel ingest'];
const IngestOut = Type.Object({
  status: Type.Optional(Type.String()),
  event_ids: Type.Array(Type.String()),
  accepted: Type.Optional(Type.Integer()),
  rejected: Type.Optional(Type.Array(Type.Object({ index: Type.Integer(), reason: Type.String() }))),
});

function cors(req: FastifyRequest, reply: FastifyReply): void {
  const origin = headerValue(req, 'origin');
  reply.header('Access-Control-Allow-Origin', origin ?? '*');
  if (origin) {
    reply.header('Access-Control-Allow-Credentials', 'true');
    reply.header('Vary', 'Origin');
  }
}

const facts = (s: CollectDeps, req: FastifyRequest): RequestFacts => ({
  userAgent: headerValue(req, 'user-agent') ?? '',
  ip: req.ip,
  origin: headerValue(req, 'origin'),
  acceptLanguage: headerValue(req, 'accept-language'),
  receivedMs: s.now(),
});

/** Privacy signals honoured for pixels configured to respect them. */
const privacySignal = (req: FastifyRequest): boolean => headerValue(req, 'sec-gpc') === '1' || headerValue(req, 'dnt') === '1';

async function run(s: CollectDeps, raw: unknown[], req: FastifyRequest): Promise<EventOutcome[]> {
  try {
    return await s.ingest.ingest(raw, facts(s, req));
  } catch (err) {
    if (err instanceof GroupCommitOverloadedError) throw new ApiError('ingest_overloaded', undefined, { 'Retry-After': '1' });
    throw err;
  }
}

function respond(outcomes: EventOutcome[], batch: boolean) {
  const accepted = outcomes.flatMap((o) => (o.ok ? [o.eventId] : []));
  const rejected = outcomes.flatMap((o, index) => (o.ok ? [] : [{ index, reason: o.reason }]));
  if (accepted.length === 0) {
    const first = outcomes.find((o): o is Extract<EventOutcome, { ok: false }> => !o.ok);
    if (!batch && first?.code === 'unknown_pixel') throw fail('pixel_not_found', first.reason);
    throw new ApiError('no_valid_events', first?.reason, {}, batch ? { accepted: 0, rejected } : {});
  }
  return rejected.length === 0 ? { status: 'ok', event_ids: accepted } : { accepted: accepted.length, rejected, event_ids: accepted };
}

const Redirected = Type.Null({ description: 'Redirect to redir, with its placeholders filled' });

type CollectDeps = Pick<Services, 'ingest' | 'pixels' | 'identity' | 'now'>;

export function collectRoutes(app: App, s: CollectDeps): void {
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/pixel/core/api/')) cors(req, reply);
  });

  app.options('/pixel/core/api/*', { schema: { hide: true } }, async (_req, reply) => {
    reply.header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    reply.header('Access-Control-Allow-Headers', 'Content-Type');
    reply.header('Access-Control-Max-Age', '86400');
    return reply.status(204).send();
  });

  app.post(
    '/pixel/core/api/send-event',
    {
      bodyLimit: INGEST_LIMITS.bodyBytes,
      schema: {
        tags,
        summary: 'Send one event or a batch {"events": [...]} (JSON or text/plain); answered after the events are stored',
        response: {
          200: IngestOut,
          202: Type.Object({ status: Type.String(), reason: Type.String() }),
          ...errorResponses(400, 404, 413, 415, 503),
        },
      },
    },
    async (req, reply) => {
      const split = splitBody(req.body);
      if ('error' in split) throw fail('invalid_parameters', split.error);
      if (privacySignal(req) && (await respectsPrivacy(s, split.events))) {
        return reply.status(202).send({ status: 'ignored', reason: 'privacy signal (GPC/DNT) honoured for this pixel' });
      }
      return respond(await run(s, split.events, req), split.batch);
    },
  );

  app.get(
    '/pixel/core/api/send-event/get',
    {
      schema: {
        tags,
        summary: 'Send one event with URL-encoded query fields; redirects when redir is given',
        querystring: Type.Object({
          event_type: Type.String({ maxLength: 200 }),
          event_data: Type.String({ maxLength: 20_000 }),
          organization_id: Type.String({ maxLength: 100 }),
          pixel_id: Type.String({ maxLength: 100 }),
          event_url: Type.String({ maxLength: 4000 }),
          visitor_id: Type.Optional(Type.String({ maxLength: 100 })),
          event_id: Type.Optional(
            Type.String({ maxLength: 100, description: 'your id for this event: a retry with the same id is stored once' }),
          ),
          user_agent: Type.Optional(Type.String({ maxLength: 1000, description: "the visitor's user agent, for server-side sends" })),
          ip: Type.Optional(Type.String({ maxLength: 45, description: "the visitor's IP address, for server-side sends" })),
          gdpr: Type.Optional(Type.String({ maxLength: 2000 })),
          gpp: Type.Optional(Type.String({ maxLength: 2000 })),
          redir: Type.Optional(Type.String({ maxLength: 4000 })),
        }),
        response: { 200: IngestOut, 302: Redirected, ...errorResponses(400, 404, 503) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const redir = q.redir ? checkRedirect(q.redir) : null;
      const outcomes = await run(s, [{ ...q, ts: undefined }], req);
      const body = respond(outcomes, false);
      if (!redir) return body;
      const ts = String(s.now());
      // The event was accepted, so the pixel is live and belongs to organization_id.
      const hem = q.visitor_id ? await s.identity.hemOfVisitor(q.organization_id, q.visitor_id) : null;
      const target = redir
        .replaceAll('$DLVRCOOKIE', encodeURIComponent(q.visitor_id ?? ''))
        .replaceAll('$DLVRHEM', hem ?? '')
        .replaceAll('$REF', encodeURIComponent(headerValue(req, 'referer') ?? ''))
        .replaceAll('$EVENTTIME', ts);
      return reply.redirect(target, 302);
    },
  );

  app.get(
    '/pixel/core/api/sync',
    {
      schema: {
        tags,
        summary:
          'Cookie sync: with client_id = a pixel id, links client_uid to sha256_hem in its organization (or reads the link); substitutes $DLVRCOOKIE, $DLVRHEM, $REF, $EVENTTIME into redir and redirects',
        querystring: Type.Object({
          client_id: Type.String({ minLength: 1, maxLength: 200 }),
          client_uid: Type.Optional(Type.String({ maxLength: 500 })),
          sha256_hem: Type.Optional(Type.String({ maxLength: 64 })),
          ref: Type.Optional(Type.String({ maxLength: 4000 })),
          gdpr: Type.Optional(Type.String({ maxLength: 2000 })),
          gpp: Type.Optional(Type.String({ maxLength: 2000 })),
          redir: Type.Optional(Type.String({ maxLength: 4000 })),
        }),
        response: { 200: Type.Object({ status: Type.String() }), 302: Redirected, ...errorResponses(400) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.sha256_hem !== undefined && !/^[0-9a-f]{64}$/.test(q.sha256_hem)) throw fail('invalid_parameters', 'sha256_hem must be 64 hex');
      const redir = q.redir ? checkRedirect(q.redir) : null;
      // client_id is the pixel the sync is for: its organization learns (or answers) who client_uid is.
      const pixel = /^[0-9a-f-]{36}$/i.test(q.client_id) ? await s.pixels.findLive(q.client_id.toLowerCase()) : null;
      let hem = q.sha256_hem ?? null;
      if (pixel && q.client_uid) {
        if (hem)
          await s.identity.learn(pixel.organization_id, [{ visitor_id: q.client_uid, hem_sha256: hem, source: 'sync', at: s.now() }]);
        else hem = await s.identity.hemOfVisitor(pixel.organization_id, q.client_uid);
      }
      if (!redir) return { status: 'ok' };
      const target = redir
        .replaceAll('$DLVRCOOKIE', encodeURIComponent(q.client_uid ?? ''))
        .replaceAll('$DLVRHEM', hem ?? '')
        .replaceAll('$REF', encodeURIComponent(q.ref ?? headerValue(req, 'referer') ?? ''))
        .replaceAll('$EVENTTIME', String(s.now()));
      return reply.redirect(target, 302);
    },
  );
}

function checkRedirect(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.protocol === 'http:' || u.protocol === 'https:') return raw;
  } catch {
    // fall through
  }
  throw fail('invalid_parameters', 'redir must be an http(s) URL');
}

async function respectsPrivacy(s: CollectDeps, events: unknown[]): Promise<boolean> {
  const first = events[0];
  const id = typeof first === 'object' && first !== null && 'pixel_id' in first ? first.pixel_id : undefined;
  if (typeof id !== 'string') return false;
  return (await s.pixels.findLive(id.toLowerCase()))?.respect_privacy === 1;
}
