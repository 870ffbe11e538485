// Every operation in /openapi.json declares what it answers: a schema for its success status and
// one for each error status it can return (401 where it needs credentials, 400 where it takes
// input). Declared response schemas are also what strips unknown fields from every body.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../support/app.js';

interface Operation {
  security?: Record<string, string[]>[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

let t: TestApp;
let operations: [string, Operation][];

beforeAll(async () => {
  t = await makeTestApp();
  const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]),
  );
});
afterAll(async () => {
  await t.close();
});

describe('OpenAPI document', () => {
  it('lists the operations (the checks below are not vacuous)', () => {
    expect(operations.length).toBeGreaterThan(60);
  });

  it('every operation has a success (2xx or 3xx) response with a schema', () => {
    const missing = operations
      .filter(
        ([, op]) =>
          !Object.entries(op.responses ?? {}).some(([status, r]) => /^[23]/.test(status) && (r.content || /^3|^204/.test(status))),
      )
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('every operation behind credentials documents its 401', () => {
    const missing = operations.filter(([, op]) => (op.security?.length ?? 0) > 0 && !op.responses?.['401']).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('every operation that takes input documents its 400', () => {
    const missing = operations
      .filter(([, op]) => ((op.parameters?.length ?? 0) > 0 || op.requestBody) && !op.responses?.['400'])
      .map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('every error response uses the one error body (readiness answers its checks, for load balancers)', () => {
    const wrong = operations
      .filter(([name]) => name !== 'GET /readyz')
      .flatMap(([name, op]) =>
        Object.entries(op.responses ?? {})
          .filter(([status]) => /^[45]/.test(status))
          .filter(([, r]) => JSON.stringify(r.content?.['application/json']?.schema ?? {}).indexOf('"error"') < 0)
          .map(([status]) => `${name} ${status}`),
      );
    expect(wrong).toEqual([]);
  });
});

describe('redocly lint', () => {
  it('passes on the served document (recommended rules, redocly.yaml), with an operationId for every operation', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join, resolve } = await import('node:path');
    const root = resolve(import.meta.dirname, '..', '..');
    const dir = mkdtempSync(join(tmpdir(), 'delivr-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      const body = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).body;
      writeFileSync(file, body);
      const ids = Object.values((JSON.parse(body) as { paths: Record<string, Record<string, { operationId?: string }>> }).paths).flatMap(
        (ops) => Object.values(ops).map((op) => op.operationId),
      );
      expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]+$/.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      let out = '';
      let failed = false;
      try {
        out = execFileSync(
          process.execPath,
          [
            join(root, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js'),
            'lint',
            file,
            '--config',
            join(root, 'redocly.yaml'),
            '--format=summary',
          ],
          {
            cwd: root,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          },
        );
      } catch (err) {
        failed = true;
        out = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
      }
      expect(failed, out).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
