// Serves the dashboard (web/dist, built by scripts/build.mjs) at `/` through @fastify/static, which
// streams files, answers conditional and range requests, and picks the precompressed `.gz` the
// build writes next to each text file. What is ours: hashed files under /assets/ are cached for a
// year; index.html is revalidated on every load and carries a strict Content-Security-Policy; any
// other GET outside the API prefixes gets index.html, so the client router can answer
// /{org_id}/settings/api-keys, /invite/{token} and the rest; API paths and missing files keep
// their JSON 404.
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../platform/http.js';
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
  // Delivr's changelog writes the audience download without /api/v1.
  '/audiences',
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

/** Our content types win over the `mime` table of @fastify/send (which still says application/javascript). */
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

/** `.`, `..` or empty segments: never a file of the build (and @fastify/static would answer 403). */
const nonCanonical = (path: string): boolean =>
  path
    .split('/')
    .slice(1)
    .some((seg, i, all) => seg === '.' || seg === '..' || (seg === '' && i < all.length - 1));

export function webRoutes(app: App, distDir = join(PACKAGE_ROOT, 'web', 'dist')): void {
  const root = resolve(distDir);
  const indexFile = join(root, 'index.html');
  void app.register(fastifyStatic, {
    root,
    serve: false, // our routes below decide what is a file, what is the app and what is an API 404
    preCompressed: true,
    cacheControl: false, // set per file below
    dotfiles: 'ignore',
    index: false,
    suppressWarning: true, // the dashboard may not be built yet: index.html then answers 503
  });

  /** Content type each reply must end with; @fastify/send sets its own while streaming the file. */
  const types = new WeakMap<FastifyReply, string>();

  function sendFile(reply: FastifyReply, path: string, cacheControl: string) {
    const type = TYPES[extname(path)];
    if (type) types.set(reply, type);
    // Vary before @fastify/static adds it, so the header keeps its usual spelling.
    return reply
      .header('Cache-Control', cacheControl)
      .header('X-Content-Type-Options', 'nosniff')
      .header('Vary', 'Accept-Encoding')
      .sendFile(path);
  }

  function sendIndex(reply: FastifyReply) {
    reply
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Frame-Options', 'DENY')
      // Invitation and reset links carry their token in the path; never pass it on as a Referer.
      .header('Referrer-Policy', 'no-referrer')
      .header('Cross-Origin-Opener-Policy', 'same-origin');
    if (!existsSync(indexFile)) {
      return reply
        .status(503)
        .header('Content-Type', 'text/html; charset=utf-8')
        .header('Cache-Control', 'no-store')
        .send('<!doctype html><title>Delivr</title><p>The dashboard is not built yet. Run <code>npm run build</code> and reload.</p>');
    }
    return sendFile(reply, '/index.html', 'no-cache');
  }

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0] ?? '/');
    } catch {
      return reply.callNotFound();
    }
    if (isApiPath(path) || path.includes('\0') || path.includes('\\')) return reply.callNotFound();
    if (path === '/' || path === '/index.html') return sendIndex(reply);
    if (extname(path)) {
      // A file name: serve it from the build, or 404 (a stale page asking for an old hash must not get HTML).
      if (nonCanonical(path)) return reply.callNotFound();
      return sendFile(reply, path, path.startsWith('/assets/') ? IMMUTABLE : 'public, max-age=3600');
    }
    return sendIndex(reply);
  };

  // @fastify/send types by its own table: put ours back on whatever it set, gzipped or not.
  const onSend = async (_req: FastifyRequest, reply: FastifyReply) => {
    const type = types.get(reply);
    if (type && reply.statusCode === 200) reply.header('Content-Type', type);
  };
  app.get('/', { schema: { hide: true }, onSend }, handler);
  app.get('/*', { schema: { hide: true }, onSend }, handler);
}
