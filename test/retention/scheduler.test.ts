// The server runs retention on its own: the real built server, started with
// RETENTION_INTERVAL_SECONDS=1 on a DuckDB data directory holding an old and a recent event of a
// project that keeps 1 day, deletes the old one by itself (the operator sees it in the log) and
// stops cleanly on SIGTERM; with RETENTION_INTERVAL_SECONDS=0 it says the scheduler is off.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { eventRow } from '../support/events.js';
import { call, onboardOwner, pixelAndKey } from '../support/http-tenant.js';
import { buildOnce, type ServerProcess, startServer } from '../support/server-process.js';

const ADMIN = 'retention-admin-token-0123456789';
const DAY = 86_400_000;

describe('the server schedules retention', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'delivr-retention-'));
  const env = { DATA_DIR: dataDir, ADMIN_TOKEN: ADMIN, JWT_SECRET: `retention-secret-${randomUUID()}`, LOG_LEVEL: 'info' };
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('deletes events older than the project keeps, by itself, and stops cleanly', async () => {
    buildOnce();
    server = await startServer({ ...env, RETENTION_INTERVAL_SECONDS: '0' });
    const owner = await onboardOwner({ operatorBase: server.url, outboxDir: dataDir, adminToken: ADMIN });
    const { projectId, pixelId } = await pixelAndKey(server.url, owner);
    const set = await call(
      server.url,
      'PATCH',
      `/dashboard/api/orgs/${owner.orgId}/projects/${projectId}`,
      { retention_days: 1 },
      owner.session,
    );
    expect(set.status).toBe(200);
    expect(set.body.project).toMatchObject({ retention_days: 1 });
    await server.stop();
    expect(server.output()).toContain('retention: scheduler off');

    // Events the tracker could not send any more: three days old, and one from now.
    const now = Date.now();
    const analytics = new DuckDbAnalyticsStore(join(dataDir, 'analytics.duckdb'));
    await analytics.init();
    const row = (ts: number) => eventRow({ organization_id: owner.orgId, project_id: projectId, pixel_id: pixelId, ts_millis: ts });
    await analytics.appendEvents([row(now - 3 * DAY), row(now - 2 * DAY), row(now - 60_000)]);
    await analytics.close();

    server = await startServer({ ...env, RETENTION_INTERVAL_SECONDS: '1' });
    const deadline = Date.now() + 30_000;
    while (!server.output().includes('retention: deleted events')) {
      if (Date.now() > deadline) throw new Error(`no retention pass within 30 s: ${server.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = server
      .output()
      .split('\n')
      .find((l) => l.includes('retention: deleted events'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ project_id: projectId, organization_id: owner.orgId, retention_days: 1, deleted: 2 });
    const stopped = server.child;
    await server.stop('SIGTERM');
    expect(stopped.exitCode).toBe(0);

    const after = new DuckDbAnalyticsStore(join(dataDir, 'analytics.duckdb'));
    await after.init();
    try {
      const left = await after.queryEvents({
        organizationId: owner.orgId,
        pixelIds: [pixelId],
        startMs: 0,
        endMs: now + DAY,
        raw: true,
        limit: 10,
      });
      expect(left.map((e) => e.ts_millis)).toEqual([now - 60_000]);
    } finally {
      await after.close();
    }
  }, 240_000);
});
