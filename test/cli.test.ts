// The operator CLI as an operator runs it: the built `bin/delivr.js` in a child process, with
// DATA_DIR pointing at a temp directory that a running app (built in this test) also uses, so what
// the CLI writes is checked through the app, and the CLI is shown to work while the server runs.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/platform/config.js';
import type { App } from '../src/platform/http.js';
import { createLogger } from '../src/platform/logger.js';
import { createServices } from '../src/services.js';
import { ADMIN_TOKEN } from './support/app.js';
import { outbox } from './support/mail.js';
import { buildOnce, freePort } from './support/server-process.js';

const ROOT = join(import.meta.dirname, '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function builtAt(): number {
  try {
    return statSync(join(ROOT, 'dist', 'cli.js')).mtimeMs;
  } catch {
    return 0;
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dataDir: string;
let app: App;

const BASE_ENV = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' });

/** Runs the CLI in `cwd` (by default the data directory, which holds no `.env`, so a developer's own file cannot leak in). */
function cli(args: string[], env: Record<string, string> = {}, cwd?: string, baseEnv?: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'delivr.js'), ...args], {
      cwd: cwd ?? dataDir,
      env: { ...(baseEnv ?? { ...BASE_ENV(), DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test' }), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const inviteTokens = async (email: string): Promise<string[]> =>
  (await outbox(dataDir)).filter((m) => m.to === email).map((m) => /\/invite\/([A-Za-z0-9_-]+)/.exec(m.text)?.[1] ?? '');

const preview = (token: string) => app.inject({ method: 'POST', url: '/dashboard/api/invites/preview', payload: { token } });

beforeAll(async () => {
  if (builtAt() < newest(join(ROOT, 'src'))) buildOnce();
  dataDir = mkdtempSync(join(tmpdir(), 'delivr-cli-'));
  // The server is up on the same DATA_DIR the whole time, as on an operator's laptop.
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test', ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  app = await buildApp(await createServices(config, createLogger('silent')));
  await app.ready();
}, 180_000);

afterAll(async () => {
  await app?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('delivr org', () => {
  let orgId = '';
  const email = 'ann@acme.example';

  it('list on a fresh install says there is nothing yet, and --json prints []', async () => {
    const plain = await cli(['org', 'list']);
    expect(plain).toMatchObject({ code: 0, stderr: '' });
    expect(plain.stdout).toContain('No organizations yet. Create one with: delivr org create');
    expect(await cli(['org', 'list', '--json'])).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('create makes the organization, writes the invitation to the outbox and prints its link', async () => {
    const run = await cli(['org', 'create', '--name', 'Acme Widgets', '--owner-email', ' Ann@Acme.example ']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const created = /^Created organization "Acme Widgets" \(([0-9a-f-]{36})\)\.$/.exec(lines[0] ?? '');
    expect(created).not.toBeNull();
    orgId = created?.[1] ?? '';
    expect(lines[1]).toMatch(/^Invitation sent to ann@acme\.example; it expires \d{4}-\d\d-\d\dT.*Z\.$/);
    const [token] = await inviteTokens(email);
    expect(lines[2]).toBe(`No SMTP_URL is set: the email is in ${dataDir}/outbox. Accept link: http://delivr.test/invite/${token}`);
    expect(lines).toHaveLength(3);

    const mails = await outbox(dataDir);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ to: email, subject: 'Join Acme Widgets on Delivr' });
    // The running app sees the organization and the pending invitation at once.
    expect(json(await preview(token ?? ''))).toMatchObject({ organization_id: orgId, organization_name: 'Acme Widgets', role: 'owner' });
    const listed = await app.inject({ method: 'GET', url: '/admin/v1/organizations', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(json<{ organizations: { organization_id: string }[] }>(listed).organizations.map((o) => o.organization_id)).toContain(orgId);
  });

  it('list shows it as a line and as JSON', async () => {
    const plain = await cli(['org', 'list']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(new RegExp(`^${orgId}  active    \\d{4}-\\d\\d-\\d\\d  Acme Widgets\\n$`));
    const asJson = await cli(['org', 'list', '--json']);
    expect(asJson.code).toBe(0);
    expect(JSON.parse(asJson.stdout)).toEqual([
      { organization_id: orgId, name: 'Acme Widgets', status: 'active', created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) },
    ]);
  });

  it('resend-invite sends a new link; the old one is dead in the app, the new one accepts', async () => {
    const [old] = await inviteTokens(email);
    const run = await cli(['org', 'resend-invite', '--org', orgId, '--email', 'ANN@acme.example']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Invitation re-sent to ann@acme.example; the previous link no longer works.');
    const tokens = await inviteTokens(email);
    expect(tokens).toHaveLength(2);
    const fresh = tokens.find((tok) => tok !== old) ?? '';
    expect(run.stdout).toContain(`Accept link: http://delivr.test/invite/${fresh}`);
    expect((await preview(old ?? '')).statusCode).toBe(404);
    const accepted = await app.inject({
      method: 'POST',
      url: '/dashboard/api/invites/accept',
      payload: { token: fresh, first_name: 'Ann', last_name: 'Acme', password: 'a long password' },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(json(accepted)).toMatchObject({ organization_id: orgId });

    const again = await cli(['org', 'resend-invite', '--org', orgId, '--email', email]);
    expect(again).toMatchObject({ code: 2, stdout: '', stderr: 'delivr: Invitation not found or expired.\n' });
  });
});

describe('usage and errors', () => {
  const usage = 'Usage:\n  delivr org create --name <name> --owner-email <email>';

  it.each([
    [['org', 'create', '--name', 'Only Name'], 'org create needs --name and --owner-email'],
    [['org', 'create', '--owner-email', 'x@example.com'], 'org create needs --name and --owner-email'],
    [['org', 'resend-invite', '--org', 'abc'], 'org resend-invite needs --org and --email'],
    [['org', 'create', '--name', 'X', '--owner-email', 'x@example.com', '--bogus'], "Unknown option '--bogus'"],
    [['org', 'list', 'extra'], "Unexpected argument 'extra'"],
    [['org', 'frobnicate'], 'unknown command "org frobnicate"'],
    [['org'], 'missing command after "org"'],
    [['wat'], 'unknown command "wat"'],
  ])('%j exits 2 with a clear message and the usage on stderr', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`delivr: ${message}`);
    expect(run.stderr).toContain(usage);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(usage);
  });

  it('a refused value exits 2 with the reason, and creates nothing', async () => {
    const bad = await cli(['org', 'create', '--name', 'Bad', '--owner-email', 'not-an-email']);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: 'delivr: Invalid parameters. (email is not a valid email address)\n' });
    const unknown = await cli(['org', 'resend-invite', '--org', '00000000-0000-4000-8000-000000000000', '--email', 'x@example.com']);
    expect(unknown).toEqual({ code: 2, stdout: '', stderr: 'delivr: Organization not found.\n' });
    const names = JSON.parse((await cli(['org', 'list', '--json'])).stdout) as { name: string }[];
    expect(names.map((o) => o.name)).not.toContain('Bad');
  });

  it('a right command that fails (database unreachable) exits 1, not 2', async () => {
    const run = await cli(['org', 'list'], { DATABASE_URL: 'postgres://delivr@127.0.0.1:1/none' });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^delivr: .*ECONNREFUSED/s);
    expect(run.stderr).not.toContain('Usage:');
  });

  it('a configuration error exits 2 and names the setting', async () => {
    const run = await cli(['org', 'list'], { PORT: 'eighty' });
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'delivr: configuration error: PORT must be an integer, got "eighty"\n' });
  });
});

describe('settings from a .env file in the working directory', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'delivr-envfile-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const linkOf = (run: Run): URL => new URL(/Accept link: (\S+)/.exec(run.stdout)?.[1] ?? 'http://missing.invalid/');

  it('the CLI writes invitation links for the PORT of .env, and the real environment wins over the file', async () => {
    const dir = join(work, 'cli');
    mkdirSync(dir);
    writeFileSync(join(dir, '.env'), '# the port the server runs on\nPORT=9123\nDATA_DIR=./state\n');
    const fromFile = await cli(['org', 'create', '--name', 'Env Co', '--owner-email', 'env@env.example'], {}, dir, BASE_ENV());
    expect(fromFile.stderr).toBe('');
    expect(fromFile.code).toBe(0);
    expect(linkOf(fromFile).origin).toBe('http://localhost:9123');
    expect(readdirSync(join(dir, 'state', 'outbox'))).toHaveLength(1);

    const overridden = await cli(
      ['org', 'create', '--name', 'Env Two', '--owner-email', 'two@env.example'],
      { PORT: '9124' },
      dir,
      BASE_ENV(),
    );
    expect(overridden.code).toBe(0);
    expect(linkOf(overridden).origin).toBe('http://localhost:9124');
  });

  it('the server started in the same folder listens on that PORT, and the CLI link opens its invitation', async () => {
    const dir = join(work, 'both');
    mkdirSync(dir);
    const port = await freePort();
    writeFileSync(join(dir, '.env'), `PORT=${port}\nHOST=127.0.0.1\nDATA_DIR=./state\nLOG_LEVEL=warn\n`);
    const server = spawn(process.execPath, [join(ROOT, 'dist', 'server.js')], {
      cwd: dir,
      env: BASE_ENV(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    server.stdout.on('data', (d: Buffer) => (out += d.toString()));
    server.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}: ${out}`);
        const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (Date.now() > deadline) throw new Error(`server did not listen on the .env port ${port}: ${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const run = await cli(['org', 'create', '--name', 'Both Co', '--owner-email', 'both@env.example'], {}, dir, BASE_ENV());
      expect(run.code, run.stderr).toBe(0);
      const link = linkOf(run);
      expect(link.origin).toBe(`http://localhost:${port}`);
      const token = link.pathname.split('/').pop() ?? '';
      const previewed = await fetch(`http://127.0.0.1:${port}/dashboard/api/invites/preview`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
      expect(previewed.status).toBe(200);
      expect(await previewed.json()).toMatchObject({ organization_name: 'Both Co', role: 'owner' });
    } finally {
      await new Promise<void>((resolve) => {
        if (server.exitCode !== null) return resolve();
        server.once('exit', () => resolve());
        server.kill('SIGTERM');
      });
    }
  });

  it('an unreadable .env is a configuration error naming the file (exit 2)', async () => {
    const dir = join(work, 'unreadable');
    mkdirSync(join(dir, '.env'), { recursive: true });
    const run = await cli(['org', 'list'], {}, dir, BASE_ENV());
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/^delivr: configuration error: cannot read .*\/unreadable\/\.env: EISDIR/);
  });
});

function json<T = Record<string, unknown>>(res: { body: string }): T {
  return JSON.parse(res.body) as T;
}
