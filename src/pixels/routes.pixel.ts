// GET /pixels/{pixel_id}/p.js: the tracker variant holding the pixel's trackers, with its config
// inlined. Cached briefly by browsers and CDNs (a deleted pixel or a settings change takes effect
// within that time), with an ETag so revalidation costs a 304, and gzipped for clients that take it:
// the gzipped size is the size budget tracker/build.mjs enforces. Unknown or deleted pixels: 404.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Type } from 'typebox';
import { fail } from '../platform/errors.js';
import { type App, acceptsGzip, errorResponses, rawResponse } from '../platform/http.js';
import type { Services } from '../services.js';
import { builtTracker, renderTracker } from './render.js';
import { parseStoredTrackers, variantIndex } from './trackers.js';

interface Rendered {
  body: string;
  gzip: Buffer;
  etag: string;
}

/** Rendered scripts kept (by pixel and settings version); past this many the cache starts over. */
const MAX_CACHED = 5_000;

export function pixelScriptRoutes(app: App, { pixels }: Pick<Services, 'pixels'>): void {
  const cache = new Map<string, Rendered>();

  app.get(
    '/pixels/:pixel_id/p.js',
    {
      schema: {
        tags: ['Pixel ingest'],
        summary: "The pixel's tracker script (the installation_url)",
        params: Type.Object({ pixel_id: Type.String({ maxLength: 100 }) }),
        response: {
          200: rawResponse('The tracker script (gzipped when the client accepts it)', 'application/javascript'),
          304: Type.Null({ description: 'Not modified (the ETag matched)' }),
          ...errorResponses(400, 404),
        },
      },
    },
    async (req, reply) => {
      const pixel = /^[0-9a-f-]{36}$/i.test(req.params.pixel_id) ? await pixels.findLive(req.params.pixel_id.toLowerCase()) : null;
      if (!pixel) throw fail('pixel_not_found');
      // A pixel's script changes only with its settings (updated_at) or a new build (a new process):
      // rendered, hashed and gzipped once per settings version, not on every request.
      const key = `${pixel.id}:${pixel.updated_at}`;
      let rendered = cache.get(key);
      if (!rendered) {
        const body = renderTracker(builtTracker().variants[variantIndex(parseStoredTrackers(pixel.trackers))] as string, {
          pixelId: pixel.id,
          organizationId: pixel.organization_id,
          endpoint: pixels.collectEndpoint(),
          respectPrivacySignals: pixel.respect_privacy === 1,
        });
        const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
        if (cache.size >= MAX_CACHED) cache.clear();
        rendered = { body, gzip: gzipSync(body, { level: 9 }), etag };
        cache.set(key, rendered);
      }
      const { etag } = rendered;
      // Each encoding is its own representation, with its own strong validator.
      const gzip = acceptsGzip(req);
      const tag = gzip ? `${etag.slice(0, -1)}-gz"` : etag;
      reply
        .header('Cache-Control', 'public, max-age=300, stale-while-revalidate=60')
        .header('ETag', tag)
        .header('Vary', 'Accept-Encoding')
        .header('Access-Control-Allow-Origin', '*')
        .header('X-Content-Type-Options', 'nosniff');
      if (req.headers['if-none-match'] === tag) return reply.status(304).send(null);
      reply.type('application/javascript; charset=utf-8');
      if (gzip) return reply.header('Content-Encoding', 'gzip').send(rendered.gzip);
      return reply.send(rendered.body);
    },
  );
}
