// `delivr identities import` as an operator runs it: the built `bin/delivr.js` in a child process
// against a real server process (dist/server.js) on the same DATA_DIR. Through the server's API by
// default (key + secret), and with --direct once the server is stopped (DuckDB allows one process
// per file); what the CLI imported is then read back through the server's API.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type HttpOwner, onboardOwner, pixelAndKey } from './support/http-tenant.js';
import { buildIfStale, type CliRun, freePort, runCli, type ServerProcess, startServer } from './support/server-process.js';

const ADMIN_TOKEN = 'cli-import-admin-token-0123456789';

let dataDir: string;
let server: ServerProcess;
let owner: HttpOwner;
let key: { 'x-api-key': string; 'x-api-secret': string };

/** The CLI on the server's DATA_DIR, pointed at the server. */
const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCli(args, { DATA_DIR: dataDir, PUBLIC_URL: server.url, ...env });

const file = (name: string, text: string): string => {
  const path = join(dataDir, name);
  writeFileSync(path, text);
  return path;
};

const lookup = (email: string) => call(server.url, 'GET', `/api/v1/lookup?email=${encodeURIComponent(email)}`, undefined, key);
const importCount = async () =>
  (
    (await call(server.url, 'GET', `/dashboard/api/orgs/${owner.orgId}/identities/imports`, undefined, owner.session)).body
      .imports as unknown[]
  ).length;

beforeAll(async () => {
  buildIfStale();
  dataDir = mkdtempSync(join(tmpdir(), 'delivr-cli-import-'));
  server = await startServer({ DATA_DIR: dataDir, ADMIN_TOKEN });
  owner = await onboardOwner({ operatorBase: server.url, outboxDir: dataDir, adminToken: ADMIN_TOKEN });
  key = (await pixelAndKey(server.url, owner)).key as typeof key;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('through the running server', () => {
  it('imports a CSV with plain progress lines (no terminal) and a summary naming the rejected row', async () => {
    const path = file(
      'people.csv',
      'email,first_name,company_name\nann@cli.example,Ann,Acme\nbo@cli.example,Bo,Acme\nbad-address,X,Y\ncy@cli.example,Cy,\n',
    );
    const run = await cli(['identities', 'import', path, '--org', owner.orgId, '--key', key['x-api-key'], '--secret', key['x-api-secret']]);
    expect(run.code, run.stderr).toBe(0);
    const out = run.stdout.trim().split('\n');
    expect(out[0]).toMatch(/^Import [0-9a-f-]{36} completed in \d+\.\d s: 4 rows read, 3 imported, 1 rejected\.$/);
    expect(out.slice(1)).toEqual(['First rejected rows:', '  line 4: email "bad-address" is not a valid email address']);
    expect(run.stderr).toContain(`importing ${path}\n`);
    expect(run.stderr).toMatch(/^uploading: 100% \(uploading 0\.0 of 0\.0 MiB {2}done\)$/m);
    expect(run.stderr).toMatch(/^importing: 100% \(4 rows {2}[\d,]+ rows\/s {2}done\)$/m);
    expect((await lookup('ann@cli.example')).body).toMatchObject({ first_name: 'Ann', company_name: 'Acme' });
    expect((await lookup('cy@cli.example')).body).toMatchObject({ first_name: 'Cy', company_name: null });
  });

  it('takes the key from DELIVR_API_KEY / DELIVR_API_SECRET and reads NDJSON by its extension', async () => {
    const path = file('people.ndjson', '{"email":"dee@cli.example","job_title":"CFO","visitor_id":"cli-visitor-1"}\n');
    const run = await cli(['identities', 'import', path, '--org', owner.orgId], {
      DELIVR_API_KEY: key['x-api-key'],
      DELIVR_API_SECRET: key['x-api-secret'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/completed in .*: 1 rows read, 1 imported, 0 rejected\.\n$/);
    expect((await lookup('dee@cli.example')).body).toMatchObject({ job_title: 'CFO' });
  });

  it('an unknown column exits 2 naming it, and sends nothing', async () => {
    const before = await importCount();
    const path = file('bad.csv', 'email,shoe_size\nzed@cli.example,44\n');
    const run = await cli(['identities', 'import', path, '--org', owner.orgId, '--key', key['x-api-key'], '--secret', key['x-api-secret']]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^delivr: The first line of the import does not name valid columns\. \(unknown column "shoe_size"; /);
    expect(await importCount()).toBe(before);
    expect((await lookup('zed@cli.example')).status).toBe(404);
  });

  it('a key of another organization than --org exits 2 and imports nothing', async () => {
    const path = file('elsewhere.csv', 'email\nelsewhere@cli.example\n');
    const run = await cli([
      'identities',
      'import',
      path,
      '--org',
      '00000000-0000-4000-8000-000000000000',
      '--key',
      key['x-api-key'],
      '--secret',
      key['x-api-secret'],
    ]);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toContain('delivr: Organization not found.');
    expect((await lookup('elsewhere@cli.example')).status).toBe(404);
  });

  it.each([
    [['identities', 'import', 'x.csv', '--org', 'o'], 'identities import needs an organization API key and secret'],
    [['identities', 'import', '--org', 'o', '--direct'], 'identities import needs exactly one file'],
    [['identities', 'import', 'x.csv', '--direct'], 'identities import needs --org <organization_id>'],
    [['identities', 'import', 'x.txt', '--org', 'o', '--direct'], 'cannot tell the format of'],
    [['identities', 'import', 'x.csv', '--org', 'o', '--direct', '--format', 'xml'], '--format must be csv or ndjson, got "xml"'],
    [['identities', 'export'], 'unknown command "identities export"'],
  ])('%j exits 2 with a clear message and the usage', async (args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`delivr: ${message}`);
    expect(run.stderr).toContain('delivr identities import <file> --org <organization_id>');
  });

  it('a server that does not answer exits 1 with the reason', async () => {
    const path = file('unsent.csv', 'email\nunsent@cli.example\n');
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(['identities', 'import', path, '--org', owner.orgId, '--url', url, '--key', 'k', '--secret', 's']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe(
      `delivr: Service unavailable. (could not send the file to ${url}: connect ECONNREFUSED ${url.slice(7)} (is the server running? --url names it, or use --direct))\n`,
    );
  });

  it('--direct while the server holds the DuckDB file exits 1 and says why', async () => {
    const path = file('direct-busy.csv', 'email\nbusy@cli.example\n');
    const run = await cli(['identities', 'import', path, '--org', owner.orgId, '--direct']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'delivr: Service unavailable. (the analytics store (DuckDB) is open in another process, most likely the running server: stop it and run again, or import through the server without --direct)\n',
    );
  });
});

describe('--direct, with the server stopped', () => {
  it('imports in the CLI’s own process; the server, started again, answers from it and lists the import', async () => {
    const before = await importCount();
    await server.stop();
    const rows = Array.from({ length: 3000 }, (_, i) => `direct-${i}@cli.example,Direct ${i}`);
    const path = file('direct.csv', ['email,first_name', ...rows, 'not-an-email,Nope'].join('\n'));
    const run = await cli(['identities', 'import', path, '--org', owner.orgId, '--direct']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /completed in .*: 3,001 rows read, 3,000 imported, 1 rejected\.\nFirst rejected rows:\n {2}line 3002: email "not-an-email"/,
    );
    expect(run.stderr).toMatch(/^importing: 100% \(3,001 rows {2}[\d,]+ rows\/s {2}done\)$/m);
    const unknownOrg = await cli(['identities', 'import', path, '--org', '00000000-0000-4000-8000-000000000000', '--direct']);
    expect(unknownOrg).toMatchObject({ code: 2, stdout: '' });
    expect(unknownOrg.stderr).toContain('delivr: Organization not found.');

    server = await startServer({ DATA_DIR: dataDir, ADMIN_TOKEN });
    expect((await lookup('direct-2999@cli.example')).body).toMatchObject({ first_name: 'Direct 2999' });
    expect(await importCount()).toBe(before + 1);
  }, 120_000);
});
