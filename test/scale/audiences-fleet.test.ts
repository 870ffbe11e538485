// Audiences on the scale-out stack (issue 12, acceptance 3): two real server processes on one
// PostgreSQL catalog and one ClickHouse, both running the audience worker. Ten audiences created
// through both are each computed exactly once (one "run completed" across both processes' logs);
// one process is killed with SIGKILL while it holds a run (Processing or Syncing in the catalog,
// its pid in the lease), and the other takes the run over once the lease runs out and completes it.
// Runs when TEST_DATABASE_URL and CLICKHOUSE_URL are set; otherwise says what it skipped.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, onboardOwner } from '../support/http-tenant.js';
import { buildOnce, type ServerProcess, startServer } from '../support/server-process.js';

const pgUrl = process.env.TEST_DATABASE_URL;
const chUrl = process.env.CLICKHOUSE_URL;
if (!pgUrl || !chUrl) console.log('audiences-fleet: TEST_DATABASE_URL and CLICKHOUSE_URL are needed; skipping');

const ADMIN = 'audiences-fleet-admin-token';
const FILTER = { op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['iab_ct_620'], min_score: 0 }] };

interface Row {
  id: number;
  status: string;
  lease_holder: string | null;
  task_id: string | null;
}

describe.skipIf(!pgUrl || !chUrl)('audiences on two processes (PostgreSQL + ClickHouse)', () => {
  const dbName = `delivr_af_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const dirs: string[] = [];
  let p1: ServerProcess;
  let p2: ServerProcess;
  let catalog: pg.Client;

  beforeAll(async () => {
    buildOnce();
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(pgUrl as string);
    url.pathname = `/${dbName}`;
    const chBase = new URL(chUrl as string);
    chBase.pathname = `/${dbName}`;
    const shared = {
      DATABASE_URL: url.toString(),
      CLICKHOUSE_URL: chBase.toString(),
      JWT_SECRET: `fleet-secret-${randomUUID()}`,
      ADMIN_TOKEN: ADMIN,
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_BURST: '1000',
      LOG_LEVEL: 'info',
      AUDIENCE_POLL_MS: '100',
      AUDIENCE_LEASE_MS: '3000',
    };
    const d1 = mkdtempSync(join(tmpdir(), 'delivr-af1-'));
    const d2 = mkdtempSync(join(tmpdir(), 'delivr-af2-'));
    dirs.push(d1, d2);
    [p1, p2] = await Promise.all([startServer({ ...shared, DATA_DIR: d1 }), startServer({ ...shared, DATA_DIR: d2 })]);
    catalog = new pg.Client({ connectionString: url.toString() });
    await catalog.connect();
  }, 120_000);

  afterAll(async () => {
    await catalog?.end();
    await Promise.all([p1?.stop(), p2?.stop()]);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`);
    await admin.end();
    await fetch(`${new URL(chUrl as string).origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${dbName}`)}`, { method: 'POST' });
  });

  it('computes ten audiences exactly once, and finishes the run of a worker killed mid-job', async () => {
    const owner = await onboardOwner({ operatorBase: p1.url, outboxDir: dirs[0] as string, adminToken: ADMIN });
    const project = await call(p1.url, 'POST', `/dashboard/api/orgs/${owner.orgId}/projects`, { name: 'fleet' }, owner.session);
    const projectId = (project.body.project as { project_id: string }).project_id;
    const key = await call(p1.url, 'POST', `/dashboard/api/orgs/${owner.orgId}/api-keys`, { name: 'fleet' }, owner.session);
    const headers = { 'x-api-key': key.body.api_key as string, 'x-api-secret': key.body.api_secret as string, 'x-project-id': projectId };
    const p1Pid = p1.child.pid as number;

    // Watch the catalog for a run that process 1 holds, and kill it with SIGKILL right then.
    let killed: Row | null = null;
    let watching = true;
    const watcher = (async () => {
      while (watching && !killed) {
        const { rows } = await catalog.query<Row>(
          `SELECT id, status, lease_holder, task_id FROM audiences WHERE status IN ('Processing', 'Syncing') AND lease_holder LIKE $1`,
          [`%:${p1Pid}:%`],
        );
        if (rows[0]) {
          p1.child.kill('SIGKILL');
          killed = rows[0];
          return;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    const ids: number[] = [];
    for (let i = 0; i < 10; i++) {
      // Process 1 may be dead already (its connection refused): the rest go through process 2.
      const res = await call(
        i % 2 ? p2.url : p1.url,
        'POST',
        '/api/v1/audiences',
        { name: `fleet ${i}`, type: 'intents', filter: FILTER, intent_window_days: 7 },
        headers,
      ).catch(() => null);
      if (res?.status !== 201) break;
      ids.push((res.body.audience as { audience_id: number }).audience_id);
    }
    // A create whose answer was lost with process 1 may still have been stored: count what the catalog holds.
    const stored = (await catalog.query<{ id: number }>('SELECT id FROM audiences ORDER BY id')).rows.map((r) => r.id);
    ids.splice(0, ids.length, ...stored);
    for (let i = ids.length; i < 10; i++) {
      const res = await call(
        p2.url,
        'POST',
        '/api/v1/audiences',
        { name: `fleet ${i}`, type: 'intents', filter: FILTER, intent_window_days: 7 },
        headers,
      );
      expect(res.status).toBe(201);
      ids.push((res.body.audience as { audience_id: number }).audience_id);
    }
    expect(ids).toHaveLength(10);

    // Every audience completes; process 2 takes the killed run over once its 3 s lease runs out.
    const deadline = Date.now() + 60_000;
    let statuses: Row[] = [];
    for (;;) {
      statuses = (await catalog.query<Row>('SELECT id, status, lease_holder, task_id FROM audiences ORDER BY id')).rows;
      if (statuses.length === 10 && statuses.every((r) => r.status === 'Completed')) break;
      if (Date.now() > deadline) throw new Error(`not all completed: ${JSON.stringify(statuses)}\n${p2.output().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    watching = false;
    await watcher;
    expect(killed, 'process 1 was never seen holding a run').not.toBeNull();
    const victim = killed as unknown as Row;
    expect(p1.child.signalCode).toBe('SIGKILL');
    const after = statuses.find((r) => r.id === victim.id);
    expect(after?.task_id).not.toBe(victim.task_id);

    // Exactly one completed run per audience across both processes' logs.
    const completions = new Map<number, number>();
    for (const line of `${p1.output()}\n${p2.output()}`.split('\n')) {
      if (!line.includes('audiences: run completed')) continue;
      const id = (JSON.parse(line) as { audience_id: number }).audience_id;
      completions.set(id, (completions.get(id) ?? 0) + 1);
    }
    expect([...completions.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect([...completions.values()].every((n) => n === 1)).toBe(true);

    // The results are served from ClickHouse by the surviving process.
    for (const id of ids) {
      const res = await call(p2.url, 'GET', `/api/v1/audiences/${id}`, undefined, headers);
      expect(res.status).toBe(200);
      expect((res.body.audience as { status: string }).status).toBe('Completed');
    }
  }, 120_000);
});
