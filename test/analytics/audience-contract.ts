// The audience half of the analytics contract, run by contract.ts on every engine: the rows of an
// audience run come back exactly as written (score, frequency, topics, profile, NULLs), in rank
// order, page by page after a rank; runs, audiences and organizations never mix; deleting runs
// removes exactly those (ClickHouse deletes by mutation, waited for here through the reads).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AnalyticsStore } from '../../src/analytics/types.js';
import type { AudienceMember } from '../../src/audiences/results.js';

const member = (rank: number, over: Partial<AudienceMember> = {}): AudienceMember => ({
  rank,
  hem_sha256: `${String(rank).padStart(4, '0')}${'a'.repeat(60)}`,
  intent_score: 90 - rank,
  intent_frequency: 10 + rank,
  topics: ['iab_ct_620', `t_${rank}`],
  profile: { hem_sha256: 'x', hem_md5: 'y', first_name: `Ann ${rank} ✓ "quoted"\n\u0001`, company_employee_count: rank },
  ...over,
});

/** Reads until the rows are as expected (a ClickHouse mutation completes in the background). */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const got = await read();
    try {
      expect(got).toEqual(expected);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function audienceContract(s: AnalyticsStore): void {
  describe('audience runs', () => {
    it('gives back a run exactly as written, in rank order, page by page; other runs, audiences and organizations apart', async () => {
      const org = `org-${randomUUID()}`;
      const key = { organizationId: org, audienceId: 7, runId: 'run_a' };
      const rows = Array.from({ length: 25 }, (_, i) => member(i));
      rows[3] = member(3, { intent_score: null, topics: [], profile: null });
      // Written in two calls, as the worker does with large runs.
      await s.writeAudienceRows(key, rows.slice(0, 10));
      await s.writeAudienceRows(key, rows.slice(10));
      await s.writeAudienceRows({ ...key, runId: 'run_b' }, [member(0, { hem_sha256: 'b'.repeat(64) })]);
      await s.writeAudienceRows({ ...key, audienceId: 8 }, [member(0, { hem_sha256: 'c'.repeat(64) })]);
      await s.writeAudienceRows({ ...key, organizationId: `other-${randomUUID()}` }, [member(0, { hem_sha256: 'd'.repeat(64) })]);

      expect(await s.readAudienceRows(key, { afterRank: -1, limit: 100 })).toEqual(rows);
      expect(await s.readAudienceRows(key, { afterRank: -1, limit: 10 })).toEqual(rows.slice(0, 10));
      expect(await s.readAudienceRows(key, { afterRank: 9, limit: 10 })).toEqual(rows.slice(10, 20));
      expect(await s.readAudienceRows(key, { afterRank: 19, limit: 10 })).toEqual(rows.slice(20));
      expect(await s.readAudienceRows(key, { afterRank: 24, limit: 10 })).toEqual([]);
      expect((await s.readAudienceRows({ ...key, runId: 'run_b' }, { afterRank: -1, limit: 10 })).map((r) => r.hem_sha256)).toEqual([
        'b'.repeat(64),
      ]);
      expect(await s.readAudienceRows({ ...key, runId: 'run_missing' }, { afterRank: -1, limit: 10 })).toEqual([]);

      // Deleting one run leaves the others; deleting the audience's runs leaves other audiences.
      await s.deleteAudienceRuns(org, 7, ['run_a']);
      await eventually(() => s.readAudienceRows(key, { afterRank: -1, limit: 100 }), []);
      expect(await s.readAudienceRows({ ...key, runId: 'run_b' }, { afterRank: -1, limit: 10 })).toHaveLength(1);
      await s.deleteAudienceRuns(org, 7, 'all');
      await eventually(() => s.readAudienceRows({ ...key, runId: 'run_b' }, { afterRank: -1, limit: 10 }), []);
      expect(await s.readAudienceRows({ ...key, audienceId: 8 }, { afterRank: -1, limit: 10 })).toHaveLength(1);
      await s.deleteAudienceRuns(org, 8, []);
      expect(await s.readAudienceRows({ ...key, audienceId: 8 }, { afterRank: -1, limit: 10 })).toHaveLength(1);
    });
  });
}
