// The public ingest endpoints (spec 3.4 and 16): POST /pixel/core/api/send-event for the tracker and
// servers (JSON or text/plain, one event or a batch), GET .../send-event/get with URL-encoded
// fields and an optional redirect, and the cookie-sync GET. Open to any site (CORS with `*` and no
// credentials: nothing here reads cookies, so no site's visitors can be made to send theirs), no
// auth. Redirects go only to hosts the pixel's owner registered (pixels/redirect-hosts.ts), checked
// before anything is stored. DNT/GPC is honoured per event, against each event's own pixel.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { GroupCommitOverloadedError } from '../analytics/group-commit.js';
import { parseStoredRedirectHosts, redirectHostAllowed } from '../pixels/redirect-hosts.js';
import { ApiError, fail } from '../platform/errors.js';
import { type App, errorResponses, headerValue } from '../platform/http.js';
import type { Services } from '../services.js';
import type { RequestFacts } from './enrich.js';
import { type EventOutcome, IngestRateLimitedError, PRIVACY_IGNORED } from './service.js';
import { INGEST_LIMITS, splitBody } from './validate.js';

const tags = ['Pixel ingest'];
const Indexed = (description: string) => Type.Array(Type.Object({ index: Type.Integer(), reason: Type.String() }), { description });
const IngestOut = Type.Object({
  status: Type.Optional(Type.String()),
  event_ids: Type.Array(Type.String()),
  accepted: Type.Optional(Type.Integer()),
  rejected: Type.Optional(Indexed('events refused, by their index in the batch, with the reason')),
  ignored: Type.Optional(Indexed('events of pixels that respect DNT/GPC, not stored')),
});

/** Any origin, never with credentials: the tracker's fetch and sendBeacon send none. */
function cors(reply: FastifyReply): void {
  reply.header('Access-Control-Allow-Origin', '*');
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
    return await s.ingest.ingest(raw, facts(s, req), privacySignal(req));
  } catch (err) {
    if (err instanceof GroupCommitOverloadedError) throw new ApiError('ingest_overloaded', undefined, { 'Retry-After': '1' });
    if (err instanceof IngestRateLimitedError) {
      throw new ApiError('ingest_rate_limited', err.message, { 'Retry-After': String(err.retryAfterSeconds) });
    }
    throw err;
  }
}

const Ignored = Type.Object({ status: Type.Literal('ignored'), reason: Type.String() });
const ignoredBody = { status: 'ignored' as const, reason: PRIVACY_IGNORED };
const everyIgnored = (outcomes: EventOutcome[]) => outcomes.length > 0 && outcomes.every((o) => !o.ok && o.code === 'ignored');

function respond(outcomes: EventOutcome[], batch: boolean) {
  // Nearly every request: one event, accepted.
  const only = outcomes.length === 1 ? outcomes[0] : undefined;
  if (only?.ok) return { status: 'ok', event_ids: [only.eventId] };
  const accepted = outcomes.flatMap((o) => (o.ok ? [o.eventId] : []));
  const rejected = outcomes.flatMap((o, index) => (o.ok || o.code === 'ignored' ? [] : [{ index, reason: o.reason }]));
  const ignored = outcomes.flatMap((o, index) => (!o.ok && o.code === 'ignored' ? [{ index, reason: o.reason }] : []));
  if (accepted.length === 0) {
    const first = outcomes.find((o): o is Extract<EventOutcome, { ok: false }> => !o.ok && o.code !== 'ignored');
    if (!batch && first?.code === 'unknown_pixel') throw fail('pixel_not_found', first.reason);
    throw new ApiError(
      'no_valid_events',
      first?.reason,
      {},
      batch ? { accepted: 0, rejected, ...(ignored.length ? { ignored } : {}) } : {},
    );
  }
  if (rejected.length === 0 && ignored.length === 0) return { status: 'ok', event_ids: accepted };
  return { accepted: accepted.length, rejected, ...(ignored.length ? { ignored } : {}), event_ids: accepted };
}

const Redirected = Type.Null({ description: 'Redirect to redir, with its placeholders filled' });

type CollectDeps = Pick<Services, 'ingest' | 'pixels' | 'identity' | 'now'>;

export function collectRoutes(app: App, s: CollectDeps): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (req.url.startsWith('/pixel/core/api/')) cors(reply);
    done();
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
          202: Ignored,
          ...errorResponses(400, 404, 413, 415, 429, 503, 507),
        },
      },
    },
    async (req, reply) => {
      const split = splitBody(req.body);
      if ('code' in split) throw fail(split.code, split.error);
      const outcomes = await run(s, split.events, req);
      if (everyIgnored(outcomes)) return reply.status(202).send(ignoredBody);
      return respond(outcomes, split.batch);
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
          redir: Type.Optional(Type.String({ maxLength: 4000, description: REDIR_DESCRIPTION })),
        }),
        response: { 200: IngestOut, 202: Ignored, 302: Redirected, ...errorResponses(400, 404, 429, 503, 507) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      // Checked before anything is stored: a refused redirect stores no event.
      const redir = q.redir ? await allowedRedirect(s, q.redir, q.pixel_id) : null;
      const outcomes = await run(s, [{ ...q, ts: undefined }], req);
      const ignored = everyIgnored(outcomes);
      const body = ignored ? null : respond(outcomes, false);
      if (!redir) return body ?? reply.status(202).send(ignoredBody);
      // The event was accepted, so the pixel is live and belongs to organization_id. An ignored one
      // (DNT/GPC) still redirects, without the visitor's ids.
      const hem = !ignored && q.visitor_id ? await s.identity.hemOfVisitor(q.organization_id, q.visitor_id) : null;
      const target = fill(redir, {
        cookie: ignored ? '' : (q.visitor_id ?? ''),
        hem: hem ?? '',
        ref: headerValue(req, 'referer') ?? '',
        time: s.now(),
      });
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
          redir: Type.Optional(Type.String({ maxLength: 4000, description: REDIR_DESCRIPTION })),
        }),
        response: {
          200: Type.Object({ status: Type.String() }),
          302: Redirected,
          ...errorResponses(400),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      if (q.sha256_hem !== undefined && !/^[0-9a-f]{64}$/.test(q.sha256_hem)) throw fail('invalid_parameters', 'sha256_hem must be 64 hex');
      const redir = q.redir ? await allowedRedirect(s, q.redir, q.client_id) : null;
      // client_id is the pixel the sync is for: its organization learns (or answers) who client_uid is.
      // A request with DNT or GPC for a pixel that respects them neither teaches nor reveals a link.
      const pixel = UUID.test(q.client_id) ? await s.pixels.findLive(q.client_id.toLowerCase()) : null;
      const quiet = pixel?.respect_privacy === 1 && privacySignal(req);
      let hem = q.sha256_hem ?? null;
      if (pixel && q.client_uid && !quiet) {
        if (hem)
          await s.identity.learn(pixel.organization_id, [{ visitor_id: q.client_uid, hem_sha256: hem, source: 'sync', at: s.now() }]);
        else hem = await s.identity.hemOfVisitor(pixel.organization_id, q.client_uid);
      }
      if (!redir) return { status: 'ok' };
      const target = fill(redir, {
        cookie: quiet ? '' : (q.client_uid ?? ''),
        hem: quiet ? '' : (hem ?? ''),
        ref: q.ref ?? headerValue(req, 'referer') ?? '',
        time: s.now(),
      });
      return reply.redirect(target, 302);
    },
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const REDIR_DESCRIPTION =
  'http(s) URL to redirect to (302) once the request is handled, with $DLVRCOOKIE, $DLVRHEM, $REF and $EVENTTIME substituted in its path and query. Its host must be one of the pixel’s redirect_hosts; otherwise 400 redirect_not_allowed.';

/** Control characters and spaces (CR/LF would split the response's headers). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_URL_TEXT = /[\u0000-\u0020\u007f]/;

/**
 * The redirect template if it may be used for this pixel: an http(s) URL without spaces or control
 * characters (CR/LF would split the response), placeholders only after the host, and a host the
 * pixel's owner registered. Otherwise 400, before anything is stored.
 */
async function allowedRedirect(s: CollectDeps, raw: string, pixelId: string): Promise<string> {
  if (UNSAFE_URL_TEXT.test(raw)) throw fail('invalid_parameters', 'redir must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail('invalid_parameters', 'redir must be an http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('invalid_parameters', 'redir must be an http(s) URL');
  if (url.host.includes('$')) throw fail('invalid_parameters', 'placeholders may appear in the path and query of redir, not in its host');
  const pixel = UUID.test(pixelId) ? await s.pixels.findLive(pixelId.toLowerCase()) : null;
  const hosts = pixel ? parseStoredRedirectHosts(pixel.redirect_hosts) : [];
  if (!redirectHostAllowed(url.hostname, hosts)) {
    throw fail(
      'redirect_not_allowed',
      pixel
        ? `${url.hostname} is not in this pixel's redirect_hosts; its owner can add it in the pixel's settings`
        : 'redirects need a live pixel whose redirect_hosts list the target host',
    );
  }
  return raw;
}

/**
 * The template with its placeholders filled (each value percent-encoded or hex), serialised by the
 * URL parser so the Location header holds only ASCII. The host was fixed before substitution.
 */
function fill(template: string, v: { cookie: string; hem: string; ref: string; time: number }): string {
  const text = template
    .replaceAll('$DLVRCOOKIE', encodeURIComponent(v.cookie))
    .replaceAll('$DLVRHEM', v.hem)
    .replaceAll('$REF', encodeURIComponent(v.ref))
    .replaceAll('$EVENTTIME', String(v.time));
  return new URL(text).href;
}
