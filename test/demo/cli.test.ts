// `delivr demo` as an operator runs it (the built bin/delivr.js in a child process): with the server
// stopped it opens the embedded store itself; while a real server process holds the DuckDB file it
// asks that server through the operator API when ADMIN_TOKEN is set, and otherwise exits 1 with
// the ways out. What it loaded is read back through the server's API; a second load exits 2.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, onboardOwner } from '../support/http-tenant.js';
import { buildIfStale, runCli, type ServerProcess, startServer } from '../support/server-process.js';

const ADMIN_TOKEN = 'cli-demo-admin-token-0123456789';
let dataDir: string;
let server: ServerProcess | null = null;

beforeAll(() => {
  buildIfStale();
  dataDir = mkdtempSync(join(tmpdir(), 'delivr-cli-demo-'));
}, 180_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const summaryOf = (stdout: string) => ({
  project: /project "([^"]+)"/.exec(stdout)?.[1] ?? '',
  people: Number(/ (\d+) people with profiles/.exec(stdout)?.[1]),
  events: Number(/ (\d+) events over/.exec(stdout)?.[1]),
});

describe('delivr demo', () => {
  let first = { orgId: '', project: '', events: 0 };

  it('with the server stopped, loads into the embedded store in this process', async () => {
    const created = await runCli(['org', 'create', '--name', 'Demo Co', '--owner-email', 'demo@cli.example', '--json'], {
      DATA_DIR: dataDir,
    });
    expect(created.code, created.stderr).toBe(0);
    const orgId = /\(([0-9a-f-]{36})\)/.exec(created.stdout)?.[1] ?? '';
    const run = await runCli(['demo', '--org', orgId, '--people', '60', '--days', '10'], { DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(0);
    const s = summaryOf(run.stdout);
    expect(s.people).toBe(60);
    expect(s.events).toBeGreaterThan(100);
    expect(run.stdout).toContain(`  wrote ${s.events} events`);
    first = { orgId, project: s.project, events: s.events };
  }, 60_000);

  it('a second load into the same organization exits 2 naming the project', async () => {
    const run = await runCli(['demo', '--org', first.orgId], { DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`delivr: This organization already has the demo project. (project ${first.project})\n`);
  });

  it('a bad size exits 2 before anything is opened', async () => {
    const run = await runCli(['demo', '--org', first.orgId, '--people', 'lots'], { DATA_DIR: dataDir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--people must be a whole number from 10 to 50000');
  });

  it('while the server holds the store: through the server with ADMIN_TOKEN, and a clear way out without it', async () => {
    server = await startServer({ DATA_DIR: dataDir, ADMIN_TOKEN });
    // The first load is in the store the server now has open.
    const owner = await onboardOwner({ operatorBase: server.url, outboxDir: dataDir, adminToken: ADMIN_TOKEN });
    const refused = await runCli(['demo', '--org', owner.orgId], { DATA_DIR: dataDir, PUBLIC_URL: server.url });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the analytics store (DuckDB) is open in another process');
    expect(refused.stderr).toContain('set ADMIN_TOKEN');

    const run = await runCli(['demo', '--org', owner.orgId, '--people', '40', '--days', '7'], {
      DATA_DIR: dataDir,
      PUBLIC_URL: server.url,
      ADMIN_TOKEN,
    });
    expect(run.code, run.stderr).toBe(0);
    const s = summaryOf(run.stdout);
    expect(s.people).toBe(40);
    const people = await call(server.url, 'GET', `/dashboard/api/orgs/${owner.orgId}/people?limit=1`, undefined, owner.session);
    expect(people.status).toBe(200);
    expect(people.body.total).toBeGreaterThan(20);
    const projects = await call(server.url, 'GET', `/dashboard/api/orgs/${owner.orgId}/projects`, undefined, owner.session);
    expect((projects.body.projects as { project_id: string }[]).map((p) => p.project_id)).toContain(s.project);
  }, 90_000);
});
