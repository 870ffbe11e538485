// The operations surface an outsider can reach: /metrics behind METRICS_TOKEN when one is set
// (public, as before, when not), Node's process metrics on the real server, and the Swagger UI at
// /docs under its own Content-Security-Policy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { makeTestApp, type TestApp } from '../support/app.js';
import { buildOnce, type ServerProcess, startServer } from '../support/server-process.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const REFUSED = { error: 'A valid metrics token is required.', code: 'metrics_token_required' };

describe('/metrics with METRICS_TOKEN', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => t?.close());

  const metrics = (headers: Record<string, string> = {}) => t.app.inject({ url: '/metrics', headers });

  it.each([
    ['no Authorization header', {}],
    ['a wrong token of the same length', { authorization: `Bearer ${'x'.repeat(TOKEN.length)}` }],
    ['a prefix of the token', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['the token with a suffix', { authorization: `Bearer ${TOKEN}0` }],
    ['the token as Basic credentials', { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }],
    ['the token without the Bearer scheme', { authorization: TOKEN }],
  ])('refuses %s with 401 and the documented body', async (_what, headers) => {
    const res = await metrics(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual(REFUSED);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    expect(res.body).not.toContain('delivr_ingest');
  });

  it('serves the metrics to the right bearer token (scheme in any case)', async () => {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await metrics({ authorization: `${scheme} ${TOKEN}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('# TYPE delivr_ingest_events_total counter');
    }
  });

  it('refuses a token shorter than 16 characters at start', () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivr-metrics-config-'));
    try {
      expect(() => loadConfig({ DATA_DIR: dir, METRICS_TOKEN: 'short' })).toThrow(ConfigError);
      expect(() => loadConfig({ DATA_DIR: dir, METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN must be at least 16 characters');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('/metrics without METRICS_TOKEN', () => {
  it('stays public, as the default deployment expects', async () => {
    const t = await makeTestApp();
    try {
      const res = await t.app.inject({ url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('delivr_ingest_events_total');
    } finally {
      await t.close();
    }
  });
});

describe('the real server (dist/server.js)', () => {
  let server: ServerProcess;
  let dataDir: string;
  beforeAll(async () => {
    buildOnce();
    dataDir = mkdtempSync(join(tmpdir(), 'delivr-ops-'));
    server = await startServer({ DATA_DIR: dataDir, METRICS_TOKEN: TOKEN });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("exports Node's process metrics next to its own, behind the token", async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const body = await res.text();
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(body).toContain(`# TYPE ${name} `);
    }
    expect(body).toContain('# TYPE delivr_ingest_events_total counter');
    // The DuckDB ingest journal's backlog, read from the store's thread at the scrape.
    expect(body).toMatch(/^delivr_ingest_journal_pending_bytes \d+$/m);
    expect(body).toMatch(/^delivr_ingest_journal_failed_moves 0$/m);
    // Background work of the store that failed (none here), by task.
    expect(body).toContain('# TYPE delivr_analytics_background_failures_total counter');
  });
});

describe('/docs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(async () => t?.close());

  it('serves Swagger UI and its files under a Content-Security-Policy of their own', async () => {
    const page = await t.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui-bundle.js');
    for (const url of ['/docs/', '/docs/static/swagger-ui-bundle.js', '/docs/static/swagger-initializer.js', '/docs/json']) {
      const res = await t.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      const csp = String(res.headers['content-security-policy'] ?? '');
      for (const directive of [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
      ]) {
        expect(csp, url).toContain(directive);
      }
      expect(csp, url).not.toMatch(/unsafe-inline|unsafe-eval|https:|validator\.swagger\.io/);
    }
  });

  it('asks for no online validator (it would send the document URL to a third party)', async () => {
    const init = await t.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toMatch(/"validatorUrl":\s*null/);
  });
});

describe('request ids', () => {
  it('answers every request with its own UUID-shaped x-request-id, and echoes a well-formed one it was sent', async () => {
    const t = await makeTestApp();
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) {
        const id = String((await t.app.inject({ url: '/healthz' })).headers['x-request-id']);
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        ids.add(id);
      }
      expect(ids.size).toBe(50);
      const echoed = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-7f3a.1' } });
      expect(echoed.headers['x-request-id']).toBe('lb-7f3a.1');
      const refused = await t.app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id with spaces' } });
      expect(refused.headers['x-request-id']).not.toBe('bad id with spaces');
    } finally {
      await t.close();
    }
  });
});
