// `delivr topics review` as an operator runs it: the built CLI in a child process on the DATA_DIR of
// a running app (built in this test). Listing shows waiting requests; --accept makes the topic
// appear in the organization's API at once; --reject; mistakes exit 2 with a message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/platform/config.js';
import type { App } from '../../src/platform/http.js';
import { createLogger } from '../../src/platform/logger.js';
import { createServices } from '../../src/services.js';
import { ADMIN_TOKEN } from '../support/app.js';
import { buildIfStale, type CliRun, runCli } from '../support/server-process.js';
import { createKey, json, newTenant } from '../support/tenant.js';

let dataDir: string;
let app: App;
let headers: Record<string, string>;

/** The CLI on the running app's DATA_DIR. */
const cli = (args: string[]): Promise<CliRun> => runCli(args, { DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test' });

const request = async (name: string) => {
  const res = await app.inject({
    method: 'POST',
    url: '/taxonomy/topic-requests',
    headers,
    payload: { name, keywords: ['qkd'], topic_type: 'B2B' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ response: { topic_request_id: string; topic_id: string } }>(res).response;
};

beforeAll(async () => {
  buildIfStale();
  dataDir = mkdtempSync(join(tmpdir(), 'delivr-topics-cli-'));
  const config = loadConfig({ DATA_DIR: dataDir, PUBLIC_URL: 'http://delivr.test', ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  app = await buildApp(await createServices(config, createLogger('silent')));
  await app.ready();
  const t = { app, dataDir } as Parameters<typeof newTenant>[0];
  const tenant = await newTenant(t);
  const key = await createKey(t, tenant);
  headers = { 'x-api-key': key.apiKey, 'x-api-secret': key.apiSecret };
}, 180_000);

afterAll(async () => {
  await app?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('delivr topics review', () => {
  it('says when nothing waits, lists what does, accepts and rejects by id', async () => {
    const empty = await cli(['topics', 'review']);
    expect(empty).toMatchObject({ code: 0, stdout: 'No topic requests are waiting for approval.\n' });
    const qkd = await request('Quantum Key Distribution');
    const fusion = await request('Cold Fusion');
    const listed = await cli(['topics', 'review']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(qkd.topic_request_id);
    expect(listed.stdout).toContain('"Quantum Key Distribution"');
    expect(listed.stdout).toContain('2 waiting.');
    const asJson = JSON.parse((await cli(['topics', 'review', '--json'])).stdout) as { id: string }[];
    expect(asJson.map((r) => r.id).sort()).toEqual([qkd.topic_request_id, fusion.topic_request_id].sort());

    const accepted = await cli(['topics', 'review', '--accept', qkd.topic_request_id, '--note', 'fits']);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain(`topic ${qkd.topic_id} now exists`);
    // The running server answers from the same catalog at once.
    const topic = await app.inject({ url: `/taxonomy/topics/${qkd.topic_id}`, headers });
    expect(topic.statusCode).toBe(200);
    expect(json<{ response: { name: string; custom: boolean } }>(topic).response).toMatchObject({
      name: 'Quantum Key Distribution',
      custom: true,
    });

    const rejected = await cli(['topics', 'review', '--reject', fusion.topic_request_id]);
    expect(rejected).toMatchObject({ code: 0 });
    expect(rejected.stdout).toContain('Rejected "Cold Fusion"');
    expect((await cli(['topics', 'review'])).stdout).toContain('No topic requests are waiting');
  }, 60_000);

  it('exits 2 with a message for an unknown id, a reviewed one, or a wrong command line', async () => {
    const unknown = await cli(['topics', 'review', '--accept', 'no-such-request']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Topic request not found.');
    const done = await request('Reviewed twice');
    expect((await cli(['topics', 'review', '--reject', done.topic_request_id])).code).toBe(0);
    const twice = await cli(['topics', 'review', '--accept', done.topic_request_id]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('already been reviewed');
    for (const args of [
      ['topics'],
      ['topics', 'approve'],
      ['topics', 'review', '--accept', 'a', '--reject', 'b'],
      ['topics', 'review', '--bogus'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage:');
    }
  }, 60_000);
});
