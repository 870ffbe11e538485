// GET /pixels/{pixel_id}/p.js: the tracker with this pixel's config inlined. Cached briefly by
// browsers and CDNs (a deleted pixel stops being served within that time), with an ETag so
// revalidation costs a 304. Unknown or deleted pixels answer 404.
import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import { fail } from '../platform/errors.js';
import type { App } from '../platform/http.js';
import type { Services } from '../services.js';
import { loadBuiltTracker, renderTracker } from './render.js';

export function pixelScriptRoutes(app: App, s: Services): void {
  let built: string | null = null;
  app.get(
    '/pixels/:pixel_id/p.js',
    {
      schema: {
        tags: ['Pixel ingest'],
        summary: "The pixel's tracker script (the installation_url)",
        params: Type.Object({ pixel_id: Type.String({ maxLength: 100 }) }),
      },
    },
    async (req, reply) => {
      const pixel = /^[0-9a-f-]{36}$/i.test(req.params.pixel_id) ? await s.ingest.pixel(req.params.pixel_id.toLowerCase()) : null;
      if (!pixel) throw fail('pixel_not_found');
      built ??= loadBuiltTracker();
      const body = renderTracker(built, {
        pixelId: pixel.id,
        organizationId: pixel.organization_id,
        endpoint: `${s.config.publicUrl}/pixel/core/api/send-event`,
        respectPrivacySignals: pixel.respect_privacy === 1,
      });
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      reply
        .header('Cache-Control', 'public, max-age=300, stale-while-revalidate=60')
        .header('ETag', etag)
        .header('Access-Control-Allow-Origin', '*')
        .header('X-Content-Type-Options', 'nosniff');
      if (req.headers['if-none-match'] === etag) return reply.status(304).send();
      return reply.type('application/javascript; charset=utf-8').send(body);
    },
  );
}
