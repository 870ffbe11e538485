// Scores are the same numbers on DuckDB and ClickHouse for the same events: one generated workload
// (people with several visitors, links that move, server-side sends with a HEM, bots, companies
// written several ways, 70 days of reading across topics) is written to both engines, and every
// score of every person, every company and the organization's rates are compared for exact
// equality. The contract suite checks each engine against score.ts; this checks them against each
// other on a workload too large to write out by hand. Needs CLICKHOUSE_URL.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseAnalyticsStore } from '../../src/analytics/clickhouse.js';
import { DuckDbAnalyticsStore } from '../../src/analytics/duckdb.js';
import { explainTopic, organizationRates, scoreSubjects, windowsOf } from '../../src/intent/signals.js';
import { fillWorkload as fill, sha256, WORKLOAD_AS_OF } from './workload.js';

const serverUrl = process.env.CLICKHOUSE_URL;
if (!serverUrl) console.log('[intent engines agree] skipped, set CLICKHOUSE_URL (see scripts/clickhouse-start.sh)');
const database = `delivr_agree_${Date.now()}_${randomUUID().slice(0, 8)}`;

const AS_OF = WORKLOAD_AS_OF;

describe.skipIf(!serverUrl)('intent scores: DuckDB and ClickHouse agree exactly', () => {
  const org = randomUUID();
  const dir = mkdtempSync(join(tmpdir(), 'delivr-agree-'));
  const duck = new DuckDbAnalyticsStore(join(dir, 'a.duckdb'));
  let ch: ClickHouseAnalyticsStore;

  beforeAll(async () => {
    const url = new URL(serverUrl ?? '');
    url.pathname = `/${database}`;
    ch = new ClickHouseAnalyticsStore(url.toString());
    await Promise.all([duck.init(), ch.init()]);
    await Promise.all([fill(duck, org), fill(ch, org)]);
  }, 120_000);

  afterAll(async () => {
    await duck.close();
    await ch?.close();
    rmSync(dir, { recursive: true, force: true });
    const url = new URL(serverUrl ?? '');
    url.pathname = '/';
    const admin = createClient({ url: url.toString() });
    await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
    await admin.close();
  });

  for (const windowDays of [1, 7, 14]) {
    it(`every person and every company, window ${windowDays}`, async () => {
      for (const subject of [{ kind: 'people' as const }, { kind: 'companies' as const }]) {
        const req = { organizationId: org, subject, asOfDay: AS_OF, windowDays };
        const [a, b] = await Promise.all([scoreSubjects(duck, req), scoreSubjects(ch, req)]);
        expect(a.length).toBeGreaterThan(subject.kind === 'people' ? 10 : 1);
        expect(b).toEqual(a);
        expect(a.some((x) => x.surging)).toBe(true);
      }
    });
  }

  it('one person, one company and their explanations, and the organization’s rates', async () => {
    const w = windowsOf(AS_OF, 7);
    expect(await organizationRates(ch, org, w)).toEqual(await organizationRates(duck, org, w));
    for (const subject of [
      { kind: 'person' as const, hem: sha256('p2@w.example') },
      { kind: 'person' as const, hem: sha256('p5@w.example') },
      { kind: 'company' as const, domain: 'acme.example' },
    ]) {
      const req = { organizationId: org, subject, asOfDay: AS_OF, windowDays: 7 };
      const [a, b] = await Promise.all([scoreSubjects(duck, req), scoreSubjects(ch, req)]);
      expect(b).toEqual(a);
      for (const topicId of ['t-cloud', 't-golf']) {
        const e = { ...req, topicId, pageLimit: 100 };
        expect(await explainTopic(ch, e)).toEqual(await explainTopic(duck, e));
      }
    }
  });
});
