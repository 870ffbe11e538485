// Acknowledged means stored: the real server process is killed with SIGKILL in the middle of
// sustained concurrent ingest, restarted on the same data, and every event id it acknowledged with
// a 2xx must be there. Ten trials on DuckDB; five on ClickHouse when CLICKHOUSE_URL is set.
// Retries are stored once: every event carries its own event_id (half with a client ts, half
// without), and after the last restart the client retries what it never got an answer for plus a
// sample of what was acknowledged; each of them must then be stored exactly once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { derivedEventId } from '../../src/collect/dedupe.js';
import { call, onboardOwner, pixelAndKey } from '../support/http-tenant.js';
import { buildOnce, type ServerProcess, startServer } from '../support/server-process.js';

const ADMIN = 'kill9-admin-token-0123456789';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const chUrl = process.env.CLICKHOUSE_URL;
if (!chUrl) console.log('kill9: CLICKHOUSE_URL is not set; the ClickHouse variant is skipped');

interface Backend {
  name: string;
  trials: number;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const backends: Backend[] = [{ name: 'duckdb', trials: 10, env: {}, cleanup: async () => {} }];
if (chUrl) {
  const db = `delivr_kill9_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const url = new URL(chUrl);
  url.pathname = `/${db}`;
  backends.push({
    name: 'clickhouse',
    trials: 5,
    env: { CLICKHOUSE_URL: url.toString() },
    cleanup: async () => {
      await fetch(`${url.origin}/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${db}`)}`, { method: 'POST' });
    },
  });
}

describe.each(backends)('kill -9 during ingest on $name', (backend) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'delivr-kill9-'));
  // Every client here shares one address and one pixel, and the retries after the last restart can
  // be thousands of events at once: the ingest rate limits (tested in their own suite) are off, so a
  // refusal cannot pass for a lost event or fail the retry.
  const env = {
    ...backend.env,
    DATA_DIR: dataDir,
    ADMIN_TOKEN: ADMIN,
    JWT_SECRET: `kill9-secret-${randomUUID()}`,
    INGEST_RATE_PER_SOURCE: '0',
    INGEST_RATE_PER_PIXEL: '0',
  };
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await backend.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses no acknowledged event over ${backend.trials} trials`, async () => {
    buildOnce();
    server = await startServer(env);
    const owner = await onboardOwner({ operatorBase: server.url, outboxDir: dataDir, adminToken: ADMIN });
    const { pixelId, key } = await pixelAndKey(server.url, owner);
    const acked = new Set<string>();
    type Sent = { event_id: string } & Record<string, unknown>;
    const everySent: Sent[] = [];
    const answered = new Set<string>();
    let sent = 0;
    for (let trial = 0; trial < backend.trials; trial++) {
      if (!server) server = await startServer(env);
      const target = server;
      let stop = false;
      const loop = async (worker: number) => {
        let n = 0;
        while (!stop) {
          const size = 1 + ((worker * 7 + n++) % 20);
          const events: Sent[] = Array.from({ length: size }, (_, k) => ({
            event_id: randomUUID(),
            event_type: 'page_view',
            event_data: { url: 'https://shop.example/p' },
            event_url: 'https://shop.example/p',
            pixel_id: pixelId,
            organization_id: owner.orgId,
            visitor_id: `t${trial}-w${worker}`,
            ...(k % 2 === 0 ? { ts: Date.now() } : {}),
          }));
          everySent.push(...events);
          sent += size;
          try {
            const res = await fetch(`${target.url}/pixel/core/api/send-event`, {
              method: 'POST',
              headers: { 'content-type': 'text/plain', 'user-agent': UA },
              body: JSON.stringify({ events }),
            });
            if (res.ok) {
              for (const id of ((await res.json()) as { event_ids: string[] }).event_ids) acked.add(id);
              for (const e of events) answered.add(e.event_id);
            }
          } catch {
            return; // the process is gone: whatever was not answered was not acknowledged
          }
        }
      };
      const ackedBefore = acked.size;
      const loops = Array.from({ length: 16 }, (_, w) => loop(w));
      // Kill mid-stream once this trial has had acknowledgements (however slow a loaded machine is),
      // at a random moment after that.
      const deadline = Date.now() + 30_000;
      while (acked.size - ackedBefore < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, Math.random() * 1000));
      await target.stop('SIGKILL');
      stop = true;
      await Promise.all(loops);
      server = undefined;
    }
    server = await startServer(env);
    // The client retries: everything it got no answer for, and a sample of what was acknowledged.
    const unanswered = everySent.filter((e) => !answered.has(e.event_id));
    const retried = [...unanswered, ...everySent.filter((e) => answered.has(e.event_id)).slice(0, 500)];
    for (let i = 0; i < retried.length; i += 100) {
      const batch = retried.slice(i, i + 100);
      const again = await fetch(`${server.url}/pixel/core/api/send-event`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'user-agent': UA },
        body: JSON.stringify({ events: batch }),
      });
      expect(again.status).toBe(200);
      const ids = ((await again.json()) as { event_ids: string[] }).event_ids;
      expect(ids).toEqual(batch.map((e) => derivedEventId(pixelId, e.event_id)));
    }
    const stored = new Set<string>();
    let rows = 0;
    const res = await fetch(
      `${server.url}/api/v2/events/export?source=pixel&pixel_id=${pixelId}&start_ms=${Date.now() - 3_600_000}&end_ms=${Date.now() + 60_000}&include_bots=true&select=event_id`,
      { headers: key },
    );
    expect(res.status).toBe(200);
    for (const line of (await res.text()).split('\n')) {
      if (!line) continue;
      stored.add((JSON.parse(line) as { event_id: string }).event_id);
      rows += 1;
    }
    const lost = [...acked].filter((id) => !stored.has(id));
    const retriedMissing = retried.filter((e) => !stored.has(derivedEventId(pixelId, e.event_id)));
    console.log(
      `kill9 ${backend.name}: ${backend.trials} trials, ${sent} sent, ${acked.size} acknowledged, ${stored.size} stored, ${lost.length} lost, ` +
        `${retried.length} retried after the last restart (${unanswered.length} never answered), ${rows - stored.size} stored twice`,
    );
    expect(acked.size).toBeGreaterThan(backend.trials * 50);
    expect(lost).toEqual([]);
    // Exactly once: every retried event is there, and no event id is stored twice.
    expect(retriedMissing).toEqual([]);
    expect(rows).toBe(stored.size);
    expect(stored.size).toBeLessThanOrEqual(everySent.length);
    const health = await call(server.url, 'GET', '/readyz');
    expect(health.status).toBe(200);
  }, 240_000);
});
