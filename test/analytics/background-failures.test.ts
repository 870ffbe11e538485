// Background work of the analytics stores that fails is reported, not swallowed: a stats fold that
// cannot write its rollups (DuckDB in the process and on its own thread, ClickHouse) reaches the
// store's onBackgroundFailure with its task and error, while reads stay exact; and the reporter the
// server wires to it counts every failure and logs the first of a task at once, then at most one
// line per interval with the number since.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from '@clickhouse/client';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { ThreadedDuckDbStore } from '../../src/analytics/duckdb-threaded.js';
import type { AnalyticsStore, EventRow } from '../../src/analytics/types.js';
import { backgroundFailureReporter } from '../../src/platform/background-failures.js';
import { eventRow } from '../support/events.js';

const T0 = Date.UTC(2026, 2, 5, 10);
const org = randomUUID();
const pixel = randomUUID();
const views = (visitor: string, n: number): EventRow[] =>
  Array.from({ length: n }, (_, i) =>
    eventRow({
      ts_millis: T0 + i * 60_000,
      organization_id: org,
      project_id: 'project',
      pixel_id: pixel,
      visitor_id: visitor,
      session_id: `s-${visitor}`,
      path: `/p${i}`,
      url: `https://acme.example/p${i}`,
    }),
  );
const scope = { organizationId: org, pixelIds: [pixel], startMs: T0 - 3_600_000, endMs: T0 + 86_400_000 };

/** Resolves with the first failure reported, or rejects after `ms`. */
function firstFailure(): { report: (task: string, err: unknown) => void; next: (ms?: number) => Promise<{ task: string; err: Error }> } {
  const seen: { task: string; err: unknown }[] = [];
  let wake: (() => void) | null = null;
  return {
    report: (task, err) => {
      seen.push({ task, err });
      wake?.();
    },
    next: async (ms = 20_000) => {
      const deadline = Date.now() + ms;
      while (seen.length === 0) {
        if (Date.now() > deadline) throw new Error('no background failure was reported');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      const [first] = seen;
      // A store reports what was thrown: here always an Error.
      expect(first?.err).toBeInstanceOf(Error);
      return first as { task: string; err: Error };
    },
  };
}

describe('DuckDB: a stats fold that fails is reported', () => {
  for (const threaded of [false, true]) {
    it(`${threaded ? 'on its own thread' : 'in the process'}: the task and its error reach onBackgroundFailure; reads stay exact`, async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'delivr-bg-failure-')), 'analytics.duckdb');
      const setup = new DuckDbAnalyticsStore(path);
      await setup.init();
      await setup.close();
      // A unique index the fold's rows break: two visits of one pixel share its number.
      const instance = await DuckDBInstance.create(path);
      const conn = await instance.connect();
      await conn.run('CREATE UNIQUE INDEX broken ON stats_visits (pk)');
      conn.closeSync();
      instance.closeSync();

      const failures = firstFailure();
      const options = { statsFoldDelayMs: 20, onBackgroundFailure: failures.report };
      const store: AnalyticsStore & { close(): Promise<void> } = threaded
        ? new ThreadedDuckDbStore(path, options)
        : new DuckDbAnalyticsStore(path, options);
      await store.init();
      try {
        await store.appendEvents([...views('v1', 2), ...views('v2', 3)]);
        const { task, err } = await failures.next();
        expect(task).toBe('stats fold');
        expect(err).toBeInstanceOf(Error);
        expect(err.message).toMatch(/constraint|duplicate/i);
        // The rollups are behind, the answer is not.
        expect(await store.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 5 });
      } finally {
        await store.close();
      }
    });
  }
});

const serverUrl = process.env.CLICKHOUSE_URL;
const database = `delivr_bg_failure_${randomBytes(6).toString('hex')}`;
afterAll(async () => {
  if (!serverUrl) return;
  const admin = createClient({ url: new URL('/', serverUrl).toString() });
  try {
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
  } finally {
    await admin.close();
  }
});

describe.skipIf(!serverUrl)('ClickHouse: a stats fold that fails is reported', () => {
  it('the task and its error reach onBackgroundFailure; reads stay exact', async () => {
    const url = new URL(serverUrl ?? 'http://localhost');
    url.pathname = `/${database}`;
    const failures = firstFailure();
    const store = new ClickHouseAnalyticsStore({ url: url.toString(), statsFoldLagMs: 0, onBackgroundFailure: failures.report });
    await store.init();
    try {
      await store.appendEvents([...views('v1', 2), ...views('v2', 3)]);
      // The table a fold copies the day's value rows into is gone (a read of totals does not use it).
      const admin = createClient({ url: new URL('/', serverUrl).toString() });
      const [folds] = await (
        await admin.query({
          query: `SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE '%stats_folded_values%'`,
          format: 'JSONEachRow',
        })
      ).json<{ name: string }>();
      await admin.command({ query: `DROP TABLE \`${database}\`.\`${folds?.name}\`` });
      await admin.close();
      // A read of the finished day queues its fold, which fails in the background.
      expect(await store.statsTotals(scope)).toMatchObject({ visitors: 2, visits: 2, pageviews: 5 });
      const { task, err } = await failures.next();
      expect(task).toBe('stats fold');
      expect(err.message).toMatch(/doesn't exist|not exist|UNKNOWN_TABLE/i);
    } finally {
      await store.close();
    }
  });
});

describe('the server’s reporter', () => {
  it('counts every failure and logs the first of a task, then one line per interval with the number since', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    const log = pino({ level: 'info' }, sink);
    const registry = new Registry();
    const counter = new Counter({ name: 'failures_total', help: 'x', labelNames: ['task'], registers: [registry] });
    let now = 0;
    const report = backgroundFailureReporter(log, counter, () => now, 60_000);

    report('stats fold', new Error('first'));
    now = 1_000;
    report('stats fold', new Error('again'));
    report('stats sort', new Error('other task'));
    now = 30_000;
    report('stats fold', new Error('again'));
    now = 61_000;
    report('stats fold', new Error('after the interval'));

    const logged = lines.map((l) => [l.task, (l.err as { message: string }).message, l.failed_since_last_line ?? 0, l.level]);
    expect(logged).toEqual([
      ['stats fold', 'first', 0, 40],
      ['stats sort', 'other task', 0, 40],
      ['stats fold', 'after the interval', 2, 40],
    ]);
    expect(String(lines[0]?.msg)).toContain('background stats fold failed');
    return registry
      .getSingleMetric('failures_total')
      ?.get()
      .then((m) => {
        expect(Object.fromEntries(m.values.map((v) => [v.labels.task, v.value]))).toEqual({ 'stats fold': 4, 'stats sort': 1 });
      });
  });
});
