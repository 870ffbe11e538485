// How the platform serves the built dashboard: caching (hashed assets forever, index.html
// revalidated), the Content-Security-Policy on HTML, the SPA fallback that leaves API paths their
// JSON 404s, precompressed responses, conditional and range requests, and the initial-load budget
// (under 300 KB gzipped).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/analytics/filter.js';
import { buildFilter, quoteValue } from '../../web/src/lib/filter.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { ensureBuilt } from './support.js';

const DIST = join(import.meta.dirname, '..', '..', 'web', 'dist');

let t: TestApp;
let assets: string[];

beforeAll(async () => {
  ensureBuilt();
  t = await makeTestApp();
  const html = readFileSync(join(DIST, 'index.html'), 'utf8');
  assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] as string);
});
afterAll(async () => {
  await t?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

describe('the dashboard shell', () => {
  it('serves index.html at / with no-cache, a strict CSP and no inline script', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // Every script is an external file; an inline one would be blocked by the CSP anyway.
    const scripts = [...res.body.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const s of scripts) {
      expect(s[0]).toMatch(/\ssrc="\/assets\//);
      expect(s[1]?.trim()).toBe('');
    }
    expect(res.body).not.toMatch(/\sstyle=|\son[a-z]+=/i);
  });

  it('answers the client routes (seed URLs, emailed links) with index.html', async () => {
    for (const path of [
      '/sign-in',
      '/3f1c2d9e-0000-4000-8000-000000000000/settings/api-keys',
      '/3f1c2d9e-0000-4000-8000-000000000000/settings/members',
      '/3f1c2d9e-0000-4000-8000-000000000000/projects/abc/settings/pixels',
      '/account/apps',
      '/invite/AbC_123-xyz',
      '/reset-password/AbC_123-xyz?x=1',
      '/dashboard',
    ]) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy'], path).toBeDefined();
      expect(res.body, path).toContain('<div id="root"></div>');
    }
  });

  it('leaves API paths their JSON 404 and real API routes untouched', async () => {
    for (const path of [
      '/api/v2/nope',
      '/api',
      '/auth/v1/nope',
      '/client/v1/nope',
      '/public/core/api/nope',
      '/pixel/core/api/nope',
      '/pixels/nope',
      '/dashboard/api/nope',
      '/admin/v1/nope',
      '/docs/nope.html',
      '/metrics/x',
      '/healthz/x',
      '/readyz/x',
      '/data/x',
      '/openapi.json/x',
    ]) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.headers['content-type'], path).toMatch(/^application\/json/);
      expect(res.json(), path).toMatchObject({ error: 'Not found.' });
      expect(res.headers['content-security-policy'], path).toBeUndefined();
    }
    expect((await get('/healthz')).json()).toMatchObject({ status: 'ok' });
    expect((await get('/openapi.json')).json()).toHaveProperty('openapi');
    expect((await get('/dashboard/api/signup')).json()).toHaveProperty('open');
    expect((await get('/dashboard/api/session')).statusCode).toBe(401);
    // Non-GET requests to unknown paths are not the app's either.
    expect((await t.app.inject({ method: 'POST', url: '/sign-in' })).statusCode).toBe(404);
  });

  it('caches hashed assets for a year and sends them gzipped when asked', async () => {
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const plain = await get(asset);
      expect(plain.statusCode, asset).toBe(200);
      expect(plain.headers['cache-control'], asset).toBe('public, max-age=31536000, immutable');
      expect(plain.headers['content-type'], asset).toMatch(asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      expect(plain.headers['content-encoding'], asset).toBeUndefined();
      const zipped = await get(asset, { 'accept-encoding': 'gzip, deflate, br' });
      expect(zipped.headers['content-encoding'], asset).toBe('gzip');
      expect(zipped.headers.vary, asset).toBe('Accept-Encoding');
      expect(gunzipSync(zipped.rawPayload).equals(plain.rawPayload), asset).toBe(true);
      const again = await get(asset, { 'if-none-match': String(plain.headers.etag) });
      expect(again.statusCode, asset).toBe(304);
    }
  });

  it('answers conditional, range and HEAD requests as a static file server (@fastify/static) does', async () => {
    const asset = assets.find((a) => a.endsWith('.js')) as string;
    const full = await get(asset);
    const lastModified = String(full.headers['last-modified']);
    expect(Date.parse(lastModified)).toBeGreaterThan(0);
    expect((await get(asset, { 'if-modified-since': lastModified })).statusCode).toBe(304);
    const part = await get(asset, { range: 'bytes=0-99' });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 0-99/${full.rawPayload.length}`);
    expect(part.rawPayload.equals(full.rawPayload.subarray(0, 100))).toBe(true);
    const head = await t.app.inject({ method: 'HEAD', url: asset });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(full.rawPayload.length));
    expect(head.headers['content-type']).toMatch(/^text\/javascript/);
    expect(head.body).toBe('');
    const index = await t.app.inject({ method: 'HEAD', url: '/sign-in' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-security-policy']).toBeDefined();
  });

  it('404s missing files instead of answering them with HTML, and never leaves web/dist', async () => {
    for (const path of [
      '/assets/index-old.js',
      '/favicon.ico',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
      '/..%2f..%2fpackage.json',
    ]) {
      const res = await get(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.body, path).not.toContain('"name": "delivr"');
    }
    const icon = await get('/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('keeps the initial page load under 300 KB gzipped', async () => {
    const index = await get('/sign-in', { 'accept-encoding': 'gzip' });
    let total = index.rawPayload.length;
    const html = gunzipSync(index.rawPayload).toString('utf8');
    const referenced = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(referenced).toEqual(expect.arrayContaining(assets));
    for (const path of referenced) total += (await get(path, { 'accept-encoding': 'gzip' })).rawPayload.length;
    console.log(`web: initial load ${(total / 1024).toFixed(1)} KB gzipped over ${referenced.length + 1} files`);
    expect(total).toBeLessThan(300 * 1024);
  });
});

describe('the Events page filter string', () => {
  it('builds the documented grammar and reads back as meant', () => {
    expect(buildFilter({})).toBe('');
    expect(buildFilter({ eventType: ' click ', resolved: 'yes' })).toBe('event_type:eq:click,resolved:eq:true');
    expect(buildFilter({ resolved: 'no' })).toBe('resolved:eq:false|resolved:eq:null');
    expect(buildFilter({ eventType: 'page_view', resolved: 'no' })).toBe(
      'event_type:eq:page_view,resolved:eq:false|event_type:eq:page_view,resolved:eq:null',
    );
    for (const type of ['a,b', 'x|y', 'say "hi"', 'back\\slash', 'null', '"quoted', 'url:with:colons']) {
      const parsed = parseFilter(buildFilter({ eventType: type }));
      expect(parsed, type).toMatchObject({ ok: true, value: [[{ field: 'event_type', op: 'eq', value: type }]] });
    }
    expect(quoteValue('plain_type')).toBe('plain_type');
    const notResolved = parseFilter(buildFilter({ eventType: 'click', resolved: 'no' }));
    expect(notResolved).toMatchObject({
      ok: true,
      value: [
        [
          { field: 'event_type', value: 'click' },
          { field: 'resolved', value: 'false' },
        ],
        [
          { field: 'event_type', value: 'click' },
          { field: 'resolved', value: null },
        ],
      ],
    });
  });
});
