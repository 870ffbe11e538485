// The audience half of the analytics contract, run by contract.ts on every engine: the rows of an
// audience run come back exactly as written (score, frequency, topics, profile, NULLs), in rank
// order, page by page after a rank; runs, audiences and organizations never mix; deleting runs
// removes exactly those (ClickHouse deletes by mutation, waited for here through the reads). And an
// intents audience built inside the engine from staged scores (test/audiences/build.test.ts checks
// that build against the JavaScript walk on a larger workload): resolution, profile rules,
// people without a profile, the preview's counts, and a stage that is gone once dropped.
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AnalyticsStore } from '../../src/analytics/types.js';
import type { FilterGroup } from '../../src/audiences/filter.js';
import type { AudienceMember } from '../../src/audiences/results.js';
import { DAY_MS } from '../../src/intent/types.js';
import { row, tenant } from './contract.js';

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

    it('erasing a person removes their rows from every run, and a page reads past the gap they leave', async () => {
      const org = `org-${randomUUID()}`;
      const key = { organizationId: org, audienceId: 3, runId: 'run_a' };
      const rows = Array.from({ length: 12 }, (_, i) => member(i));
      const erased = rows[4] as AudienceMember;
      await s.writeAudienceRows(key, rows);
      await s.writeAudienceRows({ ...key, audienceId: 4 }, [member(0, { hem_sha256: erased.hem_sha256 })]);
      // The same HEM in another organization is another person.
      await s.writeAudienceRows({ ...key, organizationId: `other-${randomUUID()}` }, [member(0, { hem_sha256: erased.hem_sha256 })]);

      expect(await s.erasePerson(org, erased.hem_sha256)).toEqual({ profiles: 0, links: 0, events: 0, audienceRows: 2 });
      const left = rows.filter((r) => r !== erased);
      expect(await s.readAudienceRows(key, { afterRank: -1, limit: 100 })).toEqual(left);
      // Pages of 4 across the gap: each full, none skipped, as a download reads them.
      const pages: AudienceMember[][] = [];
      for (let after = -1; ; ) {
        const page = await s.readAudienceRows(key, { afterRank: after, limit: 4 });
        if (page.length === 0) break;
        pages.push(page);
        after = page[page.length - 1]?.rank ?? after;
      }
      expect(pages.map((p) => p.length)).toEqual([4, 4, 3]);
      expect(pages.flat()).toEqual(left);
      expect(await s.readAudienceRows({ ...key, audienceId: 4 }, { afterRank: -1, limit: 10 })).toEqual([]);
      expect(await s.erasePerson(org, erased.hem_sha256)).toEqual({ profiles: 0, links: 0, events: 0, audienceRows: 0 });
    });

    it('takes named people out of one run only, and nothing when none is named', async () => {
      const org = `org-${randomUUID()}`;
      const key = { organizationId: org, audienceId: 5, runId: 'run_a' };
      const rows = Array.from({ length: 6 }, (_, i) => member(i));
      const [, gone, , alsoGone] = rows as [AudienceMember, AudienceMember, AudienceMember, AudienceMember];
      await s.writeAudienceRows(key, rows);
      await s.writeAudienceRows({ ...key, runId: 'run_b' }, [member(0, { hem_sha256: gone.hem_sha256 })]);
      await s.writeAudienceRows({ ...key, audienceId: 6 }, [member(0, { hem_sha256: gone.hem_sha256 })]);
      await s.writeAudienceRows({ ...key, organizationId: `other-${randomUUID()}` }, [member(0, { hem_sha256: gone.hem_sha256 })]);

      await s.deleteAudienceMembers(key, []);
      expect(await s.readAudienceRows(key, { afterRank: -1, limit: 100 })).toEqual(rows);
      await s.deleteAudienceMembers(key, [gone.hem_sha256, alsoGone.hem_sha256, 'f'.repeat(64)]);
      // Done when it resolves (ClickHouse's mutation waited for): the next read no longer has them.
      expect(await s.readAudienceRows(key, { afterRank: -1, limit: 100 })).toEqual(rows.filter((r) => r !== gone && r !== alsoGone));
      for (const other of [
        { ...key, runId: 'run_b' },
        { ...key, audienceId: 6 },
      ]) {
        expect((await s.readAudienceRows(other, { afterRank: -1, limit: 10 })).map((r) => r.hem_sha256)).toEqual([gone.hem_sha256]);
      }
    });
  });

  describe('intents audience built in the engine', () => {
    it('stages everyone’s scores, writes the filtered people ranked with their profiles, counts a preview alike', async () => {
      const t = tenant();
      const asOf = Math.floor(Date.UTC(2026, 0, 15) / DAY_MS);
      const hem = (s: string) => createHash('sha256').update(s).digest('hex');
      const [ann, bob, cyd] = [hem('ann@b.example'), hem('bob@b.example'), hem('cyd@b.example')];
      await s.mergeProfiles(
        t.org,
        [
          { hem_sha256: ann, hem_md5: 'a'.repeat(32), hem_sha1: null, seniority_level: 'vp', first_name: 'Ann "A" \\ \n' },
          { hem_sha256: cyd, hem_md5: 'c'.repeat(32), hem_sha1: null, seniority_level: 'staff' },
        ],
        1,
      );
      await s.linkVisitors(t.org, [
        { visitor_id: 'v-ann', hem_sha256: ann, source: 'form', at: 1 },
        { visitor_id: 'v-cyd', hem_sha256: cyd, source: 'form', at: 1 },
      ]);
      await s.savePages(t.org, [
        {
          url: 'https://b.example/cloud',
          title: 'Cloud',
          description: '',
          heading: '',
          topics: [{ topic_id: 'cloud', relevance: 90 }],
          version: 'v',
          classified_at: 1,
        },
        { url: 'https://b.example/about', title: 'About', description: '', heading: '', topics: [], version: 'v', classified_at: 1 },
      ]);
      let n = 0;
      const view = (url: string, over: Parameters<typeof row>[2]) => row(t, ++n, { ts_millis: asOf * DAY_MS + n * 1000, url, ...over });
      await s.appendEvents([
        view('https://b.example/cloud', { visitor_id: 'v-ann' }),
        view('https://b.example/cloud', { visitor_id: 'v-ann' }),
        view('https://b.example/cloud', { visitor_id: 'v-ann' }),
        // Bob: a server-side send with his HEM and no visitor; no profile.
        view('https://b.example/cloud', { visitor_id: null, hem_sha256: bob }),
        view('https://b.example/cloud', { visitor_id: 'v-cyd' }),
        view('https://b.example/about', { visitor_id: 'v-cyd' }),
        // A stranger and a bot never count.
        view('https://b.example/cloud', { visitor_id: 'v-nobody' }),
        view('https://b.example/cloud', { visitor_id: 'v-ann', is_bot: true }),
      ]);
      const staged = await s.stageIntentScores({
        organizationId: t.org,
        topicIds: ['cloud'],
        asOfDay: asOf,
        windowDays: 7,
        rates: {},
        listAll: true,
      });
      expect(staged.pairs).toBe(3);
      expect(staged.ambiguous.map((a) => a.hem_sha256).sort()).toEqual([ann, bob, cyd].sort());
      const build = async (filter: FilterGroup, runId: string | null) => {
        const target = runId === null ? null : { organizationId: t.org, audienceId: 5, runId };
        const counts = await s.writeIntentAudience({ organizationId: t.org, stage: staged.stage, filter, overrides: [], target });
        return { counts, rows: target ? await s.readAudienceRows(target, { afterRank: -1, limit: 10 }) : [] };
      };
      const everyone = await build({ op: 'AND', rules: [{ type: 'INTENT', topic_ids: ['cloud'], min_score: 0 }] }, 'run_all');
      // Ann read three times; Bob and Cyd once each, ranked by score, then HEM.
      const score = new Map(staged.ambiguous.map((a) => [a.hem_sha256, a.intent_score]));
      const rest = [bob, cyd].sort((a, b) => (score.get(b) ?? 0) - (score.get(a) ?? 0) || (a < b ? -1 : 1));
      expect(everyone.rows.map((r) => [r.rank, r.hem_sha256, r.intent_score, r.intent_frequency, r.topics])).toEqual([
        [0, ann, score.get(ann), 3, ['cloud']],
        [1, rest[0], score.get(rest[0] as string), 1, ['cloud']],
        [2, rest[1], score.get(rest[1] as string), 1, ['cloud']],
      ]);
      expect(everyone.rows[0]?.profile).toMatchObject({ hem_sha256: ann, seniority_level: 'vp', first_name: 'Ann "A" \\ \n' });
      expect(everyone.rows.find((r) => r.hem_sha256 === bob)?.profile).toBeNull();
      expect(everyone.counts).toMatchObject({ recordCount: 3, distinctProfileCount: 2 });
      const vp: FilterGroup = {
        op: 'AND',
        rules: [
          { type: 'INTENT', topic_ids: ['cloud'], min_score: 0 },
          { field: 'seniority_level', operator: 'in', value: ['vp'] },
        ],
      };
      const vps = await build(vp, 'run_vp');
      expect(vps.rows.map((r) => r.hem_sha256)).toEqual([ann]);
      expect((await build(vp, null)).counts).toEqual(vps.counts);
      // A profile changed after a run: the next run has the new values, the earlier one keeps its own.
      await s.mergeProfiles(t.org, [{ hem_sha256: ann, hem_md5: 'a'.repeat(32), hem_sha1: null, first_name: 'Anna', job_title: 'CTO' }], 2);
      const again = await build(vp, 'run_vp2');
      expect(again.rows[0]?.profile).toEqual({ ...vps.rows[0]?.profile, first_name: 'Anna', job_title: 'CTO' });
      expect(vps.rows[0]?.profile).toMatchObject({ first_name: 'Ann "A" \\ \n' });
      expect(
        (await s.readAudienceRows({ organizationId: t.org, audienceId: 5, runId: 'run_vp' }, { afterRank: -1, limit: 10 }))[0],
      ).toEqual(vps.rows[0]);
      await s.dropIntentStage(t.org, staged.stage);
    });
  });
}
