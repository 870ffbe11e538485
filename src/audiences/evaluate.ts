// Answers an audience's question from the analytics store, the same way on DuckDB and ClickHouse
// (everything engine-specific is behind AnalyticsStore), in two steps so the worker can show
// Processing while it computes and Syncing while it writes:
//  - intents: prepare stages every person's score on the filter's topics inside the engine
//    (IntentService.stageScores: score.ts's formula, exact); write is one statement in the engine
//    that walks the filter over those scores and the profiles (an INTENT rule holds when one of its
//    topics scores at least its min_score, a field rule when the profile matches it, with SQL's
//    semantics: a missing value matches nothing but not_null's absence), ranks the people and
//    writes them as the run's rows, or only counts them for a preview. No person's row passes
//    through JavaScript. Intent scores are the organization's: people are too.
//  - events: each field rule is one count per person of the project's non-bot events in the window
//    that match it (the Events API's filter, resolved), and groups combine the sets (AND intersects,
//    OR unites): "visited /pricing AND submitted a form" may be two different events. The members
//    are ranked here and written in batches.
// The result is one row per person, best first, with the counts and score bands the audience shows.
import type { AnalyticsStore } from '../analytics/types.js';
import type { Profile } from '../identity/fields.js';
import { type FieldRule, type FilterGroup, fieldRules, filterTopics, ruleFilter, selectSet } from './filter.js';
import type { AudienceCounts, AudienceMember, AudienceRunKey } from './results.js';
import type { AudienceType } from './store.js';

export { SCORE_BANDS } from './results.js';

const DAY_MS = 86_400_000;
/** HEMs per profile read (events audiences). */
const PROFILE_BATCH = 1000;
/** Rows per call to the analytics store when an events run is written. */
const WRITE_BATCH = 50_000;

export interface AudienceQuestion {
  organizationId: string;
  projectId: string;
  type: AudienceType;
  filter: FilterGroup;
  windowDays: number;
}

/** A computed audience, not yet written. */
export interface PreparedAudience {
  /** Writes the run's rows to `target` (or only counts them: null) and releases what prepare held. */
  write(target: AudienceRunKey | null): Promise<AudienceCounts>;
  /** Releases what prepare held without writing (the run was superseded or failed). Idempotent. */
  discard(): Promise<void>;
}

export interface EvaluatorDeps {
  analytics: Pick<AnalyticsStore, 'getProfiles' | 'countByValue' | 'writeAudienceRows' | 'writeIntentAudience' | 'dropIntentStage'>;
  intent: {
    /** Stages every person's exact scores on the topics (IntentService.stageScores). */
    stageScores(
      organizationId: string,
      q: { topicIds: readonly string[]; windowDays: number },
    ): Promise<{ stage: string; overrides: { hem_sha256: string; topic_id: string; intent_score: number }[] }>;
  };
  pixelIdsEver(projectId: string): Promise<string[]>;
  now: () => number;
}

export class AudienceEvaluator {
  constructor(private readonly d: EvaluatorDeps) {}

  /** The audience's counts without storing anything (a preview). */
  async evaluate(q: AudienceQuestion): Promise<AudienceCounts> {
    return (await this.prepare(q)).write(null);
  }

  async prepare(q: AudienceQuestion): Promise<PreparedAudience> {
    return q.type === 'intents' ? this.intents(q) : this.events(q);
  }

  private async intents(q: AudienceQuestion): Promise<PreparedAudience> {
    const { stage, overrides } = await this.d.intent.stageScores(q.organizationId, {
      topicIds: filterTopics(q.filter),
      windowDays: q.windowDays,
    });
    let dropped: Promise<void> | null = null;
    const discard = (): Promise<void> => {
      dropped ??= this.d.analytics.dropIntentStage(q.organizationId, stage);
      return dropped;
    };
    return {
      write: async (target) => {
        try {
          return await this.d.analytics.writeIntentAudience({
            organizationId: q.organizationId,
            stage,
            filter: q.filter,
            overrides,
            target,
          });
        } finally {
          await discard();
        }
      },
      discard,
    };
  }

  private async events(q: AudienceQuestion): Promise<PreparedAudience> {
    const members = await this.eventMembers(q);
    const counts: AudienceCounts = {
      recordCount: members.length,
      distinctProfileCount: members.filter((m) => m.profile !== null).length,
      bucketCounts: {},
    };
    return {
      write: async (target) => {
        if (target) {
          for (let start = 0; start < members.length; start += WRITE_BATCH) {
            await this.d.analytics.writeAudienceRows(target, members.slice(start, start + WRITE_BATCH));
          }
        }
        return counts;
      },
      discard: async () => undefined,
    };
  }

  private async eventMembers(q: AudienceQuestion): Promise<AudienceMember[]> {
    const pixelIds = await this.d.pixelIdsEver(q.projectId);
    if (pixelIds.length === 0) return [];
    const endMs = this.d.now();
    const startMs = endMs - q.windowDays * DAY_MS;
    const counts = new Map<FieldRule, Map<string, number>>();
    for (const r of fieldRules(q.filter)) {
      // Bots never make an audience: every AND-group of the rule also says is_bot = false.
      const filter = ruleFilter(r).map((group) => [...group, { field: 'is_bot' as const, op: 'eq' as const, value: 'false' }]);
      const values = await this.d.analytics.countByValue(
        { organizationId: q.organizationId, pixelIds, startMs, endMs, filter },
        'hem_sha256',
      );
      const perPerson = new Map<string, number>();
      for (const v of values) if (typeof v.value === 'string' && v.value !== '') perPerson.set(v.value, v.count);
      counts.set(r, perPerson);
    }
    const chosen = selectSet(q.filter, (r) => {
      const m = counts.get(r as FieldRule);
      return new Set(m ? m.keys() : []);
    });
    const members = [...chosen].map((hem) => ({
      hem_sha256: hem,
      intent_score: null,
      intent_frequency: [...counts.values()].reduce((n, m) => n + (m.get(hem) ?? 0), 0),
      topics: [],
    }));
    members.sort((a, b) => b.intent_frequency - a.intent_frequency || cmp(a.hem_sha256, b.hem_sha256));
    const profiles = await this.profiles(
      q.organizationId,
      members.map((m) => m.hem_sha256),
    );
    return members.map((m, rank) => ({ ...m, rank, profile: profiles.get(m.hem_sha256) ?? null }));
  }

  private async profiles(organizationId: string, hems: readonly string[]): Promise<Map<string, Profile>> {
    const out = new Map<string, Profile>();
    for (let start = 0; start < hems.length; start += PROFILE_BATCH) {
      for (const p of await this.d.analytics.getProfiles(organizationId, hems.slice(start, start + PROFILE_BATCH)))
        out.set(p.hem_sha256, p);
    }
    return out;
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
