// Serves the dashboard (web/dist, built by scripts/build.mjs) at `/`. Hashed files under /assets/
// are cached for a year; index.html is revalidated on every load and carries a strict
// Content-Security-Policy. Any other GET outside the API prefixes gets index.html, so the client
// router can answer /{org_id}/settings/api-keys, /invite/{token} and the rest; API paths keep their
// JSON 404. Text files are sent gzipped from the .gz the build writes next to them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type App, acceptsGzip } from '../platform/http.js';
import { PACKAGE_ROOT } from '../platform/paths.js';

/** Path roots that belong to the APIs: an unknown path under them is a JSON 404, never the app. */
export const API_ROOTS = [
  '/api',
  '/auth',
  '/client',
  '/public',
  '/pixel',
  '/pixels',
  '/dashboard/api',
  '/admin',
  '/docs',
  '/openapi.json',
  '/metrics',
  '/healthz',
  '/readyz',
  '/data',
  '/taxonomy',
] as const;

export const isApiPath = (path: string): boolean => API_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));

/** No inline script or style, nothing from elsewhere, never framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface Loaded {
  body: Buffer;
  gzip: Buffer | null;
  etag: string;
  mtimeMs: number;
}

export function webRoutes(app: App, distDir = join(PACKAGE_ROOT, 'web', 'dist')): void {
  const root = resolve(distDir);
  const cache = new Map<string, Loaded>();

  /** The file at `rel` inside web/dist, read once per build (files are re-read when their mtime changes). */
  function load(rel: string): Loaded | null {
    const file = resolve(root, `.${rel}`);
    if (!file.startsWith(root + sep)) return null;
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(file);
    } catch {
      return null;
    }
    if (!st.isFile()) return null;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const gz = `${file}.gz`;
    const loaded: Loaded = {
      body: readFileSync(file),
      gzip: existsSync(gz) ? readFileSync(gz) : null,
      etag: `"${st.size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`,
      mtimeMs: st.mtimeMs,
    };
    cache.set(file, loaded);
    return loaded;
  }

  function send(req: FastifyRequest, reply: FastifyReply, f: Loaded, type: string, cacheControl: string) {
    reply
      .header('Content-Type', type)
      .header('Cache-Control', cacheControl)
      .header('ETag', f.etag)
      .header('X-Content-Type-Options', 'nosniff');
    if (f.gzip) reply.header('Vary', 'Accept-Encoding');
    if (req.headers['if-none-match'] === f.etag) return reply.status(304).send();
    if (f.gzip && acceptsGzip(req)) return reply.header('Content-Encoding', 'gzip').send(f.gzip);
    return reply.send(f.body);
  }

  function sendIndex(req: FastifyRequest, reply: FastifyReply) {
    reply
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Frame-Options', 'DENY')
      // Invitation and reset links carry their token in the path; never pass it on as a Referer.
      .header('Referrer-Policy', 'no-referrer')
      .header('Cross-Origin-Opener-Policy', 'same-origin');
    const index = load('/index.html');
    if (!index) {
      return reply
        .status(503)
        .header('Content-Type', 'text/html; charset=utf-8')
        .header('Cache-Control', 'no-store')
        .send('<!doctype html><title>Delivr</title><p>The dashboard is not built yet. Run <code>npm run build</code> and reload.</p>');
    }
    return send(req, reply, index, TYPES['.html'] as string, 'no-cache');
  }

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    } catch {
      return reply.callNotFound();
    }
    if (isApiPath(path) || path.includes('\0')) return reply.callNotFound();
    if (path === '/' || path === '/index.html') return sendIndex(req, reply);
    const ext = extname(path);
    if (ext) {
      // A file name: serve it from the build, or 404 (a stale page asking for an old hash must not get HTML).
      const file = load(path);
      if (!file) return reply.callNotFound();
      return send(
        req,
        reply,
        file,
        TYPES[ext] ?? 'application/octet-stream',
        path.startsWith('/assets/') ? IMMUTABLE : 'public, max-age=3600',
      );
    }
    return sendIndex(req, reply);
  };

  app.get('/', { schema: { hide: true } }, handler);
  app.get('/*', { schema: { hide: true } }, handler);
}
